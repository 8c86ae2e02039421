// The annotations people, LLM judges and code gave a span.
import { formatTime } from "../../lib/format";
import { EmptyState } from "../States";

export interface AnnotationView {
  id: string;
  name: string;
  label?: string | null;
  score?: number | null;
  explanation?: string | null;
  annotatorKind: string;
  createdAt: string;
}

export function SpanAnnotations({ annotations }: { annotations: AnnotationView[] }) {
  if (annotations.length === 0) {
    return (
      <EmptyState title="No annotations yet">
        Evaluators and people annotate spans through the API.
      </EmptyState>
    );
  }
  return (
    <table className="data" data-testid="span-annotations">
      <thead>
        <tr>
          <th>Name</th>
          <th>Label</th>
          <th className="numeric">Score</th>
          <th>Explanation</th>
          <th>Annotator</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        {annotations.map((annotation) => (
          <tr key={annotation.id}>
            <td>{annotation.name}</td>
            <td>{annotation.label ?? "–"}</td>
            <td className="numeric">
              {annotation.score == null ? "–" : annotation.score.toFixed(2)}
            </td>
            <td className="annotation-explanation">{annotation.explanation ?? ""}</td>
            <td>{annotation.annotatorKind}</td>
            <td>{formatTime(annotation.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
