// A span's events, exceptions first among equals: their type, message and stack trace.
import { formatTime } from "../../lib/format";
import { EmptyState } from "../States";
import { exceptionOf } from "./attributes";
import type { SpanException } from "./attributes";

export interface SpanEventView {
  name: string;
  timestamp?: string | null;
  attributes: unknown;
}

/** One exception: what was raised, its message, and where (the stack trace as sent). */
export function ExceptionView({ exception }: { exception: SpanException }) {
  return (
    <div className="exception" data-testid="exception">
      <div className="exception-title">
        <strong>{exception.type ?? "Exception"}</strong>
        {exception.message ? <span>: {exception.message}</span> : null}
        {exception.escaped ? <span className="exception-escaped"> (escaped the span)</span> : null}
      </div>
      {exception.stacktrace ? (
        <pre className="exception-stacktrace" data-testid="stacktrace">
          {exception.stacktrace}
        </pre>
      ) : null}
    </div>
  );
}

/** The exceptions among `events`, for the span's summary. */
export function exceptionsOf(events: SpanEventView[]): SpanException[] {
  return events.map(exceptionOf).filter((found): found is SpanException => found != null);
}

export function SpanEvents({ events }: { events: SpanEventView[] }) {
  if (events.length === 0) return <EmptyState title="This span recorded no events" />;
  return (
    <ol className="event-list">
      {events.map((event, index) => {
        const exception = exceptionOf(event);
        const attributes =
          typeof event.attributes === "object" && event.attributes !== null
            ? Object.entries(event.attributes as Record<string, unknown>).filter(
                ([key]) => !exception || !key.startsWith("exception"),
              )
            : [];
        return (
          <li key={index} className="event" data-testid="span-event">
            <div className="event-heading">
              <strong>{event.name}</strong>
              <span className="muted">{formatTime(event.timestamp)}</span>
            </div>
            {exception ? <ExceptionView exception={exception} /> : null}
            {attributes.length > 0 ? (
              <dl className="key-values">
                {attributes.map(([key, value]) => (
                  <div key={key}>
                    <dt>{key}</dt>
                    <dd>{typeof value === "string" ? value : JSON.stringify(value)}</dd>
                  </div>
                ))}
              </dl>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}
