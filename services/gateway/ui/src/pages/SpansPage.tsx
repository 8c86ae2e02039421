// `/projects/<name>/spans`: every span of the project in the chosen time range (or only root
// spans), filtered, sorted, a page at a time; a row opens its trace with the span selected. The
// first page polls, so new spans appear without a reload. Rows picked with their checkboxes can
// be added to a dataset.
import { ProjectSpanList } from "../components/tables/ProjectSpanList";
import type { SpanListPage } from "../components/tables/SpanList";
import { tracePath } from "../components/tables/SpanTable";
import { graphql } from "../gql";
import type { ProjectSpansQuery as ProjectSpansResult } from "../gql/graphql";

const ProjectSpansQuery = graphql(`
  query ProjectSpans(
    $name: String!
    $timeRange: TimeRange
    $filter: String
    $sort: SpanSort
    $rootSpansOnly: Boolean
    $first: Int
    $after: String
  ) {
    project(name: $name) {
      id
      spans(
        timeRange: $timeRange
        filter: $filter
        sort: $sort
        rootSpansOnly: $rootSpansOnly
        first: $first
        after: $after
      ) {
        edges {
          node {
            id
            spanId
            traceId
            name
            spanKind
            startTime
            latencyMs
            statusCode
            cumulativeTokenCountTotal
            costTotal
            inputPreview
            outputPreview
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

function spansPage(data: ProjectSpansResult): SpanListPage {
  if (!data.project) return { rows: null, hasNextPage: false, endCursor: null };
  const { edges, pageInfo } = data.project.spans;
  return {
    rows: edges.map(({ node: span }) => ({
      key: span.id,
      href: tracePath(span.traceId, span.spanId),
      traceId: span.traceId,
      spanId: span.spanId,
      name: span.name,
      spanKind: span.spanKind,
      inputPreview: span.inputPreview,
      outputPreview: span.outputPreview,
      startTime: span.startTime,
      latencyMs: span.latencyMs,
      // The tokens sort orders by cumulative tokens, so the column shows those.
      tokens: span.cumulativeTokenCountTotal,
      cost: span.costTotal,
      statusCode: span.statusCode,
      annotationSummaries: span.annotationSummaries,
    })),
    hasNextPage: pageInfo.hasNextPage,
    endCursor: pageInfo.endCursor,
  };
}

export default function SpansPage() {
  return (
    <ProjectSpanList
      className="spans-page"
      document={ProjectSpansQuery}
      rootSpansToggle
      toPage={spansPage}
      noun="spans"
      filterScope="each span"
      selectable
    />
  );
}
