// `/projects/<name>/sessions`: the project's sessions that start in the chosen time range,
// newest first, a page at a time. The first page is polled so new sessions appear.
import { useParams } from "react-router";

import { useGraphQL } from "../api/hooks";
import { ProjectHeader } from "../components/Layout";
import { Pagination } from "../components/Pagination";
import { MissingProject } from "../components/projects/MissingProject";
import { SessionsTable } from "../components/sessions/SessionsTable";
import { EmptyState, ErrorState, Loading } from "../components/States";
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

const SESSIONS_PER_PAGE = 50;

export default function SessionsPage() {
  const { projectName = "" } = useParams();
  const { key, timeRange } = useTimeRange();
  const pager = usePager(`${projectName}|${key}`);
  const { data, error, isPending } = useGraphQL(
    ProjectSessionsQuery,
    { name: projectName, timeRange, first: SESSIONS_PER_PAGE, after: pager.after },
    { keepPrevious: true, refetchInterval: pager.pageIndex === 0 ? 10_000 : false },
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
      {body}
    </div>
  );
}
