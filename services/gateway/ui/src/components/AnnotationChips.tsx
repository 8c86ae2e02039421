// Annotation summaries as chips: a name, then its mean score or its most common label.
import { graphql } from "../gql";

/** The fields the chips show; every list and detail query selects them with this fragment. */
export const AnnotationSummaryFields = graphql(`
  fragment AnnotationSummaryFields on AnnotationSummary {
    name
    count
    meanScore
    labelFractions {
      label
      fraction
    }
  }
`);

export interface AnnotationSummaryView {
  name: string;
  count: number;
  meanScore?: number | null;
  labelFractions: { label: string; fraction: number }[];
}

export function AnnotationChips({ summaries }: { summaries: AnnotationSummaryView[] }) {
  if (summaries.length === 0) return null;
  return (
    <span className="annotation-chips">
      {summaries.map((summary) => {
        const top = [...summary.labelFractions].sort((a, b) => b.fraction - a.fraction)[0];
        const value =
          summary.meanScore != null ? summary.meanScore.toFixed(2) : top ? top.label : "";
        return (
          <span
            key={summary.name}
            className="annotation-chip"
            title={`${summary.name}: ${summary.count} annotation(s)`}
          >
            {summary.name}
            {value ? <b>{value}</b> : null}
          </span>
        );
      })}
    </span>
  );
}
