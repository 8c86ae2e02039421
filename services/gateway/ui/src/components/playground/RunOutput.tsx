// A variant's answer as it streams in: its text, the tools it calls, the error it ended with,
// its tokens, and, once its trace has arrived (the playground project), the trace's cost and a
// link to it.
import { Link } from "react-router";

import { useGraphQL } from "../../api/hooks";
import { graphql } from "../../gql";
import { formatCost, formatCount } from "../../lib/format";
import { tracePath } from "../experiments/experimentPaths";
import type { VariantRun } from "./runs";

const TRACE_POLL_MS = 1000;

const PlaygroundTraceQuery = graphql(`
  query PlaygroundTrace($traceId: ID!) {
    trace(traceId: $traceId) {
      traceId
      costTotal
      tokenCountTotal
    }
  }
`);

function TraceFigures({ traceId, finished }: { traceId: string; finished: boolean }) {
  const trace = useGraphQL(
    PlaygroundTraceQuery,
    { traceId },
    {
      enabled: finished,
      refetchInterval: TRACE_POLL_MS,
      pollUntil: (answer) => answer.trace != null,
    },
  );
  const found = trace.data?.trace;
  return (
    <>
      <span data-testid="variant-cost">
        Cost {found ? formatCost(found.costTotal) : finished ? "…" : "–"}
      </span>
      <Link to={tracePath(traceId)} data-testid="variant-trace-link">
        Trace
      </Link>
    </>
  );
}

export function RunOutput({ run }: { run: VariantRun | undefined }) {
  if (!run) {
    return (
      <div className="run-output empty" data-testid="variant-output">
        <span className="muted">Run it to see the answer here.</span>
      </div>
    );
  }
  const { answer } = run;
  const finished = run.status !== "running";
  const counted = answer.promptTokens != null || answer.completionTokens != null;
  const total = (answer.promptTokens ?? 0) + (answer.completionTokens ?? 0);
  const tokens = counted
    ? `${formatCount(total)} tokens (${formatCount(answer.promptTokens)} prompt, ` +
      `${formatCount(answer.completionTokens)} completion)`
    : null;
  return (
    <div className="run-output" aria-busy={!finished}>
      <pre className="answer-text" data-testid="variant-output">
        {answer.text}
        {!finished ? <span className="cursor" aria-hidden="true" /> : null}
      </pre>
      {answer.toolCalls.length ? (
        <ul className="tool-calls" aria-label="Tool calls">
          {answer.toolCalls.map((call, index) => (
            <li key={call.id || index}>
              <code>{call.name}</code>
              <pre>{call.arguments}</pre>
            </li>
          ))}
        </ul>
      ) : null}
      {run.error ? (
        <p className="form-problem" role="alert" data-testid="variant-error">
          {run.error}
        </p>
      ) : null}
      <div className="run-figures">
        {!finished ? <span className="muted">Streaming…</span> : null}
        {answer.finishReason ? <span className="muted">{answer.finishReason}</span> : null}
        {tokens ? <span data-testid="variant-tokens">{tokens}</span> : null}
        {run.traceId ? <TraceFigures traceId={run.traceId} finished={finished} /> : null}
      </div>
    </div>
  );
}
