// The selected span, read on demand with `span(spanId:)`: a summary (kind, status, latency,
// tokens, cost) over tabs for what it did, its attributes, its events, its annotations and its
// evaluations (why each online rule of its project scored it or not, read when the tab opens);
// the span can be added to a dataset from its title, and an LLM span opened in the playground
// (its call replayed: messages, model, invocation parameters and tools).
import { useState } from "react";
import { Link } from "react-router";
import { JsonView, defaultStyles } from "react-json-view-lite";
import "react-json-view-lite/dist/index.css";

import { formatCost, formatCount, formatLatency, formatTime } from "../../lib/format";
import { AnnotationChips } from "../AnnotationChips";
import { CanWrite } from "../auth/viewer";
import { SpanDecisions } from "../evaluationRules/SpanDecisions";
import { playgroundPath } from "../prompts/promptPaths";
import { SpanKindIcon } from "../SpanKindIcon";
import { AddToDatasetButton } from "../spansToDataset/AddToDataset";
import { EmptyState, ErrorState, Loading } from "../States";
import { StatusBadge } from "../StatusBadge";
import { SpanAnnotations } from "./SpanAnnotations";
import { SpanEvents } from "./SpanEvents";
import { SpanInfo } from "./SpanInfo";
import { useSpanBody } from "./traceQueries";
import type { SpanTarget } from "./traceQueries";
import "./SpanDetail.css";

const TABS = ["Info", "Attributes", "Events", "Annotations", "Evaluations"] as const;
type Tab = (typeof TABS)[number];

/** Attributes open three levels deep: namespaces, their keys and small values such as a tool's
 * parameters; long lists (messages, documents) stay folded below that. */
const expandTopLevels = (level: number) => level < 3;

function Figure({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="figure">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

interface SpanFigures {
  tokenCountPrompt?: number | null;
  tokenCountCompletion?: number | null;
  tokenCountTotal?: number | null;
  cumulativeTokenCountTotal: number;
  costPrompt?: number | null;
  costCompletion?: number | null;
  costTotal?: number | null;
}

/** An LLM span's own tokens split by kind; another span's, those of the LLM calls below it. */
function tokenSummary(span: SpanFigures): string {
  if (span.tokenCountTotal != null) {
    const prompt = formatCount(span.tokenCountPrompt);
    const completion = formatCount(span.tokenCountCompletion);
    return `${formatCount(span.tokenCountTotal)} (${prompt} prompt, ${completion} completion)`;
  }
  if (span.cumulativeTokenCountTotal > 0) {
    return `${formatCount(span.cumulativeTokenCountTotal)} cumulative`;
  }
  return "–";
}

function costSummary(span: SpanFigures): string {
  if (span.costTotal == null) return "–";
  if (span.costPrompt == null && span.costCompletion == null) return formatCost(span.costTotal);
  const prompt = formatCost(span.costPrompt);
  const completion = formatCost(span.costCompletion);
  return `${formatCost(span.costTotal)} (${prompt} prompt, ${completion} completion)`;
}

/** The span `target` names: by its id, or a trace's root span. */
export function SpanDetail({ target }: { target: SpanTarget }) {
  const [tab, setTab] = useState<Tab>("Info");
  const { span, error, isPending } = useSpanBody(target);
  if (isPending) return <Loading label="Loading the span…" />;
  if (error) return <ErrorState error={error} />;
  if (!span) {
    return (
      <EmptyState
        title={"spanId" in target ? `No span with id ${target.spanId}` : "No root span yet"}
      >
        It may not have arrived yet. Select another span in the tree.
      </EmptyState>
    );
  }
  const counts: Partial<Record<Tab, number>> = {
    Events: span.events.length,
    Annotations: span.annotations.length,
  };
  return (
    <div className="span-detail-body">
      <div className="span-detail-title">
        <SpanKindIcon kind={span.spanKind} />
        <h2>{span.name}</h2>
        <StatusBadge status={span.statusCode} />
        <AnnotationChips summaries={span.annotationSummaries} />
        <CanWrite>
          <span className="span-detail-actions">
            {span.spanKind === "LLM" ? (
              <Link className="button" to={playgroundPath({ spanId: span.spanId })}>
                Open in playground
              </Link>
            ) : null}
            <AddToDatasetButton spanIds={[span.id]} />
          </span>
        </CanWrite>
      </div>
      <dl className="figures" data-testid="span-figures">
        <Figure label="Kind">{span.spanKind}</Figure>
        <Figure label="Started">{formatTime(span.startTime)}</Figure>
        <Figure label="Latency">{formatLatency(span.latencyMs)}</Figure>
        <Figure label="Tokens">
          <span data-testid="span-tokens">{tokenSummary(span)}</span>
        </Figure>
        <Figure label="Cost">
          <span data-testid="span-cost">{costSummary(span)}</span>
        </Figure>
        <Figure label="Span id">
          <code>{span.spanId}</code>
        </Figure>
      </dl>
      <div className="detail-tabs" role="tablist" aria-label="Span">
        {TABS.map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            aria-selected={tab === name}
            className={tab === name ? "active" : undefined}
            onClick={() => setTab(name)}
          >
            {name}
            {counts[name] ? <span className="tab-count">{counts[name]}</span> : null}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={tab} className="detail-panel">
        {tab === "Info" ? <SpanInfo span={span} /> : null}
        {tab === "Attributes" ? (
          <div className="attributes" data-testid="span-attributes">
            <JsonView
              data={span.attributes ?? {}}
              shouldExpandNode={expandTopLevels}
              style={defaultStyles}
            />
          </div>
        ) : null}
        {tab === "Events" ? <SpanEvents events={span.events} /> : null}
        {tab === "Annotations" ? <SpanAnnotations annotations={span.annotations} /> : null}
        {tab === "Evaluations" ? <SpanDecisions spanId={span.spanId} /> : null}
      </div>
    </div>
  );
}
