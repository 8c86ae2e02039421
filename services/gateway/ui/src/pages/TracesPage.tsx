// `/projects/<name>/traces`: one row per trace in the chosen time range, filtered on each
// trace's root span, sorted by a column, a page at a time. The first page polls, so new traces
// appear without a reload.
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
import type { ProjectTracesQuery as ProjectTracesResult } from "../gql/graphql";
import { usePager } from "../lib/pager";
import { useTimeRange } from "../lib/timeRange";

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
  const { projectName = "" } = useParams();
  const { key: rangeKey, timeRange } = useTimeRange();
  const search = useListSearch();
  const pager = usePager(`${projectName}|${rangeKey}|${search.resetKey}`);
  const variables = {
    name: projectName,
    timeRange,
    filter: search.filter || null,
    sort: search.sort,
    first: ROWS_PER_PAGE,
    after: pager.after,
  };
  const { data, error, isPlaceholderData, live } = useLiveListQuery(ProjectTracesQuery, variables, {
    pageIndex: pager.pageIndex,
    filter: search.filter,
  });
  // One object per answer: the list keeps the last one with rows.
  const page = useMemo(() => (data ? tracesPage(data) : undefined), [data]);
  return (
    <div className="traces-page">
      <ProjectHeader actions={<TimeRangePicker />} />
      <SpanList
        key={projectName}
        projectName={projectName}
        noun="traces"
        filterScope="each trace's root span"
        search={search}
        pager={pager}
        page={page}
        error={error}
        updating={isPlaceholderData}
        live={live}
      />
    </div>
  );
}
