// Above a trace: where it belongs (breadcrumbs back to its project's traces, its session) and
// its figures.
import { Link } from "react-router";

import { formatCost, formatCount, formatLatency, formatTime } from "../../lib/format";
import { AnnotationChips } from "../AnnotationChips";
import type { AnnotationSummaryView } from "../AnnotationChips";
import { StatusBadge } from "../StatusBadge";

export interface TraceHeaderView {
  traceId: string;
  project: { name: string };
  startTime: string;
  latencyMs: number;
  statusCode: string;
  tokenCountTotal: number;
  costTotal: number;
  spanCount: number;
  session?: { sessionId: string } | null;
  annotationSummaries: AnnotationSummaryView[];
}

export function TraceHeader({ trace }: { trace: TraceHeaderView }) {
  const project = `/projects/${encodeURIComponent(trace.project.name)}`;
  return (
    <div className="trace-header" data-testid="trace-header">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/">Projects</Link>
        <span aria-hidden="true"> / </span>
        <Link to={`${project}/traces`}>{trace.project.name}</Link>
        <span aria-hidden="true"> / </span>
        <span>Trace</span>
      </nav>
      <div className="trace-title">
        <h1>
          Trace <code data-testid="trace-id">{trace.traceId}</code>
        </h1>
        <StatusBadge status={trace.statusCode} />
        <AnnotationChips summaries={trace.annotationSummaries} />
      </div>
      <dl className="figures">
        <div className="figure">
          <dt>Started</dt>
          <dd>{formatTime(trace.startTime)}</dd>
        </div>
        <div className="figure">
          <dt>Latency</dt>
          <dd>{formatLatency(trace.latencyMs)}</dd>
        </div>
        <div className="figure">
          <dt>Spans</dt>
          <dd data-testid="trace-span-count">{formatCount(trace.spanCount)}</dd>
        </div>
        <div className="figure">
          <dt>Tokens</dt>
          <dd>{formatCount(trace.tokenCountTotal)}</dd>
        </div>
        <div className="figure">
          <dt>Cost</dt>
          <dd>{formatCost(trace.costTotal)}</dd>
        </div>
        {trace.session ? (
          <div className="figure">
            <dt>Session</dt>
            <dd>
              <Link
                to={`${project}/sessions/${encodeURIComponent(trace.session.sessionId)}`}
                data-testid="trace-session-link"
              >
                {trace.session.sessionId}
              </Link>
            </dd>
          </div>
        ) : null}
      </dl>
    </div>
  );
}
