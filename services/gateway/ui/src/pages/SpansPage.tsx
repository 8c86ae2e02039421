// `/projects/<name>/spans`: every span of the project in the chosen time range (or only root
// spans), filtered, sorted, a page at a time; a row opens its trace with the span selected. The
// first page polls, so new spans appear without a reload.
import { useMemo } from "react";
import { useParams } from "react-router";

import { ProjectHeader } from "../components/Layout";
import { useListSearch } from "../components/tables/listSearch";
import { ROWS_PER_PAGE, useLiveListQuery } from "../components/tables/liveList";
import { SpanList } from "../components/tables/SpanList";
import type { SpanListPage } from "../components/tables/SpanList";
import { tracePath } from "../components/tables/SpanTable";
import { TimeRangePicker } from "../components/TimeRangePicker";
import { graphql } from "../gql";
import type { ProjectSpansQuery as ProjectSpansResult } from "../gql/graphql";
import { usePager } from "../lib/pager";
import { useTimeRange } from "../lib/timeRange";

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
  const { projectName = "" } = useParams();
  const { key: rangeKey, timeRange } = useTimeRange();
  const search = useListSearch();
  const pager = usePager(`${projectName}|${rangeKey}|${search.resetKey}`);
  const variables = {
    name: projectName,
    timeRange,
    filter: search.filter || null,
    sort: search.sort,
    rootSpansOnly: search.rootSpansOnly,
    first: ROWS_PER_PAGE,
    after: pager.after,
  };
  const { data, error, isPlaceholderData, live } = useLiveListQuery(ProjectSpansQuery, variables, {
    pageIndex: pager.pageIndex,
    filter: search.filter,
  });
  // One object per answer: the list keeps the last one with rows.
  const page = useMemo(() => (data ? spansPage(data) : undefined), [data]);
  return (
    <div className="spans-page">
      <ProjectHeader actions={<TimeRangePicker />} />
      <SpanList
        key={projectName}
        projectName={projectName}
        noun="spans"
        filterScope="each span"
        search={search}
        pager={pager}
        page={page}
        error={error}
        updating={isPlaceholderData}
        live={live}
        toolbar={
          <label className="root-spans-toggle">
            <input
              type="checkbox"
              data-testid="root-spans-only"
              checked={search.rootSpansOnly}
              onChange={(event) => search.setRootSpansOnly(event.target.checked)}
            />{" "}
            Root spans only
          </label>
        }
      />
    </div>
  );
}
