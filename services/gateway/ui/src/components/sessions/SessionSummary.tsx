// The totals above a session's conversation.
import { AnnotationChips } from "../AnnotationChips";
import type { AnnotationSummaryView } from "../AnnotationChips";
import { formatCost, formatCount, formatLatency, formatTime } from "../../lib/format";

export interface SessionSummaryData {
  sessionId: string;
  startTime: string;
  endTime: string;
  traceCount: number;
  tokenCountTotal: number;
  costTotal: number;
  annotationSummaries: AnnotationSummaryView[];
}

export function SessionSummary({ session }: { session: SessionSummaryData }) {
  const duration = Date.parse(session.endTime) - Date.parse(session.startTime);
  const figures = [
    { key: "traces", label: "Traces", value: formatCount(session.traceCount) },
    { key: "started", label: "Started", value: formatTime(session.startTime) },
    { key: "duration", label: "Duration", value: formatLatency(duration) },
    { key: "tokens", label: "Tokens", value: formatCount(session.tokenCountTotal) },
    { key: "cost", label: "Cost", value: formatCost(session.costTotal) },
  ];
  return (
    <section className="panel session-summary" aria-label="Session totals">
      <h2 className="session-title mono" data-testid="session-id">
        {session.sessionId}
      </h2>
      <dl className="session-figures">
        {figures.map((figure) => (
          <div key={figure.key} data-testid={`session-${figure.key}`}>
            <dt>{figure.label}</dt>
            <dd>{figure.value}</dd>
          </div>
        ))}
      </dl>
      <AnnotationChips summaries={session.annotationSummaries} />
    </section>
  );
}
