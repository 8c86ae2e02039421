// `/projects/<name>/traces`: one row per trace in the chosen time range, filtered on each
// trace's root span, sorted by a column, a page at a time. The first page polls, so new traces
// appear without a reload.
import { ProjectSpanList } from "../components/tables/ProjectSpanList";
import type { SpanListPage } from "../components/tables/SpanList";
import { tracePath } from "../components/tables/SpanTable";
import { graphql } from "../gql";
import type { ProjectTracesQuery as ProjectTracesResult } from "../gql/graphql";

const ProjectTracesQuery = graphql(`
  query ProjectTraces(
    $name: String!
    $timeRange: TimeRange
    $filter: String
    $sort: SpanSort
    $first: Int
    $after: String
  ) {
    project(name: $name) {
      id
      traces(timeRange: $timeRange, filter: $filter, sort: $sort, first: $first, after: $after) {
        edges {
          node {
            id
            traceId
            startTime
            latencyMs
            statusCode
            tokenCountTotal
            costTotal
            rootSpan {
              id
              spanId
              name
              spanKind
              inputPreview
              outputPreview
            }
            annotationSummaries {
              ...AnnotationSummaryFields
            }
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

function tracesPage(data: ProjectTracesResult): SpanListPage {
  if (!data.project) return { rows: null, hasNextPage: false, endCursor: null };
  const { edges, pageInfo } = data.project.traces;
  return {
    rows: edges.map(({ node: trace }) => ({
      key: trace.id,
      href: tracePath(trace.traceId),
      traceId: trace.traceId,
      spanId: trace.rootSpan?.spanId ?? null,
      name: trace.rootSpan?.name ?? "(root span not received yet)",
      spanKind: trace.rootSpan?.spanKind ?? "UNKNOWN",
      inputPreview: trace.rootSpan?.inputPreview,
      outputPreview: trace.rootSpan?.outputPreview,
      startTime: trace.startTime,
      latencyMs: trace.latencyMs,
      tokens: trace.tokenCountTotal,
      cost: trace.costTotal,
      statusCode: trace.statusCode,
      annotationSummaries: trace.annotationSummaries,
    })),
    hasNextPage: pageInfo.hasNextPage,
    endCursor: pageInfo.endCursor,
  };
}

export default function TracesPage() {
  return (
    <ProjectSpanList
      className="traces-page"
      document={ProjectTracesQuery}
      toPage={tracesPage}
      noun="traces"
      filterScope="each trace's root span"
    />
  );
}
