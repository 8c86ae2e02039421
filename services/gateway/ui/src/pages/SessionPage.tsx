// `/projects/<name>/sessions/<session id>`: one session as a conversation of its traces, with
// its totals. A session is a list of turns read whole, through the live-list helper the project
// lists use: it polls, so a turn that is still arriving shows up, and says so.
import { Link, useParams } from "react-router";

import { ProjectHeader } from "../components/Layout";
import { Conversation } from "../components/sessions/Conversation";
import { SessionSummary } from "../components/sessions/SessionSummary";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { useLiveListQuery } from "../components/tables/liveList";
import { LiveStatus } from "../components/tables/LiveStatus";
import { graphql } from "../gql";
import "../components/sessions/sessions.css";

const SessionConversationQuery = graphql(`
  query SessionConversation($sessionId: ID!) {
    session(sessionId: $sessionId) {
      id
      sessionId
      project {
        name
      }
      startTime
      endTime
      traceCount
      tokenCountTotal
      costTotal
      annotationSummaries {
        ...AnnotationSummaryFields
      }
      turns {
        trace {
          traceId
          startTime
          latencyMs
          statusCode
          tokenCountTotal
          costTotal
        }
        input {
          value
          mimeType
        }
        output {
          value
          mimeType
        }
      }
    }
  }
`);

export default function SessionPage() {
  const { projectName = "", sessionId = "" } = useParams();
  const { data, error, isPending, isPlaceholderData, live } = useLiveListQuery(
    SessionConversationQuery,
    { sessionId },
    { pageIndex: 0 },
  );
  const sessionsPath = `/projects/${encodeURIComponent(projectName)}/sessions`;

  let body;
  if (isPending) body = <Loading label="Loading the session…" />;
  else if (error && !data) body = <ErrorState error={error} />;
  else if (!data.session) {
    body = (
      <EmptyState title={`No session with id ${sessionId}`}>
        Its traces may not have arrived yet. <Link to={sessionsPath}>See the sessions</Link>.
      </EmptyState>
    );
  } else {
    const { session } = data;
    body = (
      <>
        {session.project.name !== projectName ? (
          <div className="banner" role="note">
            This session belongs to project{" "}
            <Link to={`/projects/${encodeURIComponent(session.project.name)}/sessions`}>
              {session.project.name}
            </Link>
            .
          </div>
        ) : null}
        <SessionSummary session={session} />
        <div className="list-toolbar">
          <LiveStatus noun="turns" updating={isPlaceholderData} pageIndex={0} live={live} />
        </div>
        {session.turns.length === 0 ? (
          <EmptyState title="This session has no traces yet" />
        ) : (
          <Conversation turns={session.turns} />
        )}
      </>
    );
  }
  return (
    <div className="session-page">
      <ProjectHeader />
      {body}
    </div>
  );
}
