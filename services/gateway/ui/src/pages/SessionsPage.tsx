// `/projects/<name>/sessions`: the project's sessions that start in the chosen time range,
// newest first, a page at a time. It reads through the live-list helper the traces and spans
// tables use: the first page polls so new sessions appear, a later page holds still and says so.
import { useParams } from "react-router";

import { ProjectHeader } from "../components/Layout";
import { Pagination } from "../components/Pagination";
import { MissingProject } from "../components/projects/MissingProject";
import { SessionsTable } from "../components/sessions/SessionsTable";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { ROWS_PER_PAGE, useLiveListQuery } from "../components/tables/liveList";
import { LiveStatus } from "../components/tables/LiveStatus";
import { TimeRangePicker } from "../components/TimeRangePicker";
import { graphql } from "../gql";
import { usePager } from "../lib/pager";
import { useTimeRange } from "../lib/timeRange";
import "../components/sessions/sessions.css";

const ProjectSessionsQuery = graphql(`
  query ProjectSessions($name: String!, $timeRange: TimeRange, $first: Int, $after: String) {
    project(name: $name) {
      id
      sessions(timeRange: $timeRange, first: $first, after: $after) {
        edges {
          cursor
          node {
            id
            sessionId
            startTime
            endTime
            traceCount
            tokenCountTotal
            costTotal
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

export default function SessionsPage() {
  const { projectName = "" } = useParams();
  const { key, timeRange } = useTimeRange();
  const pager = usePager(`${projectName}|${key}`);
  const { data, error, isPending, isPlaceholderData, live } = useLiveListQuery(
    ProjectSessionsQuery,
    { name: projectName, timeRange, first: ROWS_PER_PAGE, after: pager.after },
    { pageIndex: pager.pageIndex },
  );

  let body;
  if (isPending) body = <Loading label="Loading sessions…" />;
  else if (error && !data) body = <ErrorState error={error} />;
  else if (!data.project) body = <MissingProject name={projectName} />;
  else {
    const { edges, pageInfo } = data.project.sessions;
    body =
      edges.length === 0 && pager.pageIndex === 0 ? (
        <EmptyState title="No sessions in this time range">
          A session groups the traces whose spans carry the same <code>session.id</code>{" "}
          attribute (OpenInference&apos;s <code>using_session(...)</code> sets it). Try a longer
          time range.
        </EmptyState>
      ) : (
        <>
          <div className="panel">
            <SessionsTable projectName={projectName} sessions={edges.map((edge) => edge.node)} />
          </div>
          <Pagination
            pager={pager}
            hasNextPage={pageInfo.hasNextPage}
            endCursor={pageInfo.endCursor}
          />
        </>
      );
  }
  return (
    <div className="sessions-page">
      <ProjectHeader actions={<TimeRangePicker />} />
      <div className="list-toolbar">
        <LiveStatus
          noun="sessions"
          updating={isPlaceholderData}
          pageIndex={pager.pageIndex}
          live={live}
        />
      </div>
      {body}
    </div>
  );
}
