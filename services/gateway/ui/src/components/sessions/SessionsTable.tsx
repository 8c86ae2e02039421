// A project's sessions as a table; a row opens its session.
import { Link, useNavigate } from "react-router";

import { AnnotationChips } from "../AnnotationChips";
import type { AnnotationSummaryView } from "../AnnotationChips";
import { formatCost, formatCount, formatLatency, formatTime, shortId } from "../../lib/format";

/** The fields of a `Session` a row shows. */
export interface SessionRowData {
  id: string;
  sessionId: string;
  startTime: string;
  endTime: string;
  traceCount: number;
  tokenCountTotal: number;
  costTotal: number;
  annotationSummaries: AnnotationSummaryView[];
}

/** The address of a session's page. */
export function sessionPath(projectName: string, sessionId: string): string {
  return `/projects/${encodeURIComponent(projectName)}/sessions/${encodeURIComponent(sessionId)}`;
}

export function SessionsTable({
  projectName,
  sessions,
}: {
  projectName: string;
  sessions: SessionRowData[];
}) {
  const navigate = useNavigate();
  return (
    <table className="data sessions-table" data-testid="sessions-table">
      <thead>
        <tr>
          <th>Session</th>
          <th>Started</th>
          <th className="numeric">Duration</th>
          <th className="numeric">Traces</th>
          <th className="numeric">Tokens</th>
          <th className="numeric">Cost</th>
          <th>Annotations</th>
        </tr>
      </thead>
      <tbody>
        {sessions.map((session) => {
          const path = sessionPath(projectName, session.sessionId);
          const duration = Date.parse(session.endTime) - Date.parse(session.startTime);
          return (
            <tr
              key={session.id}
              className="sessions-row"
              data-testid="session-row"
              onClick={(event) => {
                // A click on the link itself is the link's to handle (new tab, and so on).
                if (!(event.target instanceof HTMLAnchorElement)) void navigate(path);
              }}
            >
              <td className="mono" title={session.sessionId}>
                <Link to={path}>{shortId(session.sessionId, 24)}</Link>
              </td>
              <td>{formatTime(session.startTime)}</td>
              <td className="numeric">{formatLatency(duration)}</td>
              <td className="numeric" data-testid="session-trace-count">
                {formatCount(session.traceCount)}
              </td>
              <td className="numeric">{formatCount(session.tokenCountTotal)}</td>
              <td className="numeric">{formatCost(session.costTotal)}</td>
              <td>
                <AnnotationChips summaries={session.annotationSummaries} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
