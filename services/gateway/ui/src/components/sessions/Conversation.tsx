// A session as a conversation: each trace is a turn, its input the user's bubble and its output
// the assistant's, with a link to the trace that answered.
import { Link } from "react-router";

import { StatusBadge } from "../StatusBadge";
import { formatCost, formatCount, formatLatency, formatTime, shortId } from "../../lib/format";
import { bubbleText } from "./ioText";
import type { IOValue } from "./ioText";

/** The fields of a `SessionTurn` the conversation shows. */
export interface TurnData {
  trace: {
    traceId: string;
    startTime: string;
    latencyMs: number;
    statusCode: string;
    tokenCountTotal: number;
    costTotal: number;
  };
  input?: IOValue | null;
  output?: IOValue | null;
}

function Bubble({
  role,
  io,
  testId,
}: {
  role: "user" | "assistant";
  io: IOValue | null | undefined;
  testId: string;
}) {
  const content = bubbleText(io);
  return (
    <div className={`bubble bubble-${role}`} data-testid={testId}>
      <div className="bubble-role">{role === "user" ? "User" : "Assistant"}</div>
      {content == null ? (
        <div className="bubble-missing">{role === "user" ? "(no input)" : "(no output)"}</div>
      ) : content.isJson ? (
        <pre className="bubble-json">{content.text}</pre>
      ) : (
        <div className="bubble-text">{content.text}</div>
      )}
    </div>
  );
}

export function Conversation({ turns }: { turns: TurnData[] }) {
  return (
    <ol className="conversation" aria-label="Conversation">
      {turns.map((turn, index) => (
        <li key={turn.trace.traceId} className="turn" data-testid="session-turn">
          <Bubble role="user" io={turn.input} testId="turn-input" />
          <Bubble role="assistant" io={turn.output} testId="turn-output" />
          <div className="turn-meta">
            <span>Turn {index + 1}</span>
            <Link to={`/traces/${turn.trace.traceId}`} data-testid="turn-trace-link">
              Trace {shortId(turn.trace.traceId)}
            </Link>
            <span>{formatTime(turn.trace.startTime)}</span>
            <span>{formatLatency(turn.trace.latencyMs)}</span>
            <span>{formatCount(turn.trace.tokenCountTotal)} tokens</span>
            <span>{formatCost(turn.trace.costTotal)}</span>
            <StatusBadge status={turn.trace.statusCode} />
          </div>
        </li>
      ))}
    </ol>
  );
}
