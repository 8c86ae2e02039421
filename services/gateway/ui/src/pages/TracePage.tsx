// `/traces/<OTel trace id>?span=<span id>`: one trace, its span tree beside its waterfall, and
// the selected span in detail. The tree comes from the trace's outline in one read; a span's
// body is read only when it is selected (the root's beside the outline, by the trace's id).
// The selection is kept in `?span=` so the address is always a deep link to what is on screen.
import { useCallback, useMemo } from "react";
import { Link, useParams, useSearchParams } from "react-router";

import { useGraphQL } from "../api/hooks";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { buildSpanTree, parseOutline } from "../components/trace/outline";
import { SpanDetail } from "../components/trace/SpanDetail";
import { SpanTree } from "../components/trace/SpanTree";
import { TraceHeader } from "../components/trace/TraceHeader";
import { TraceDetailQuery } from "../components/trace/traceQueries";
import type { SpanTarget } from "../components/trace/traceQueries";
import { formatCount } from "../lib/format";
import "./TracePage.css";

export default function TracePage() {
  const { traceId = "" } = useParams();
  const [searchParams, setSearchParams] = useSearchParams();
  const { data, error, isPending } = useGraphQL(TraceDetailQuery, { traceId });

  const outline = useMemo(() => {
    if (!data?.trace) return null;
    try {
      return { value: parseOutline(data.trace.outline), error: null };
    } catch (failure) {
      return { value: null, error: failure as Error };
    }
  }, [data]);
  const tree = useMemo(
    () => (outline?.value ? buildSpanTree(outline.value.spans) : null),
    [outline],
  );

  const requestedSpanId = searchParams.get("span");
  const firstRoot = tree?.roots[0]?.span;
  const selectedSpanId = requestedSpanId ?? firstRoot?.spanId ?? null;
  // Without `?span=` the detail reads the trace's root span by the trace's id, at the same time
  // as the outline; only when the root has not arrived (the first "root" has a parent) does it
  // wait for the outline to name a span.
  const detailTarget: SpanTarget | null = requestedSpanId
    ? { spanId: requestedSpanId }
    : firstRoot?.parentId
      ? { spanId: firstRoot.spanId }
      : tree?.roots.length === 0
        ? null
        : { traceId };
  // Replace, not push: stepping through spans must not fill the browser's history.
  const select = useCallback(
    (spanId: string) =>
      setSearchParams(
        (previous) => {
          const next = new URLSearchParams(previous);
          next.set("span", spanId);
          return next;
        },
        { replace: true },
      ),
    [setSearchParams],
  );

  if (error) return <ErrorState error={error} />;
  if (data && !data.trace) {
    return (
      <EmptyState title={`No trace with id ${traceId}`}>
        It may not have arrived yet, or its project was deleted.{" "}
        <Link to="/">See the projects</Link>.
      </EmptyState>
    );
  }
  if (data && (!outline?.value || !tree)) {
    return <ErrorState error={outline?.error ?? new Error("The trace has no outline.")} />;
  }
  const shown = outline?.value?.spans.length ?? 0;
  return (
    <div className="trace-page">
      {data?.trace ? <TraceHeader trace={data.trace} /> : null}
      {data?.trace && outline?.value?.truncated ? (
        <div className="banner trace-truncated" role="note">
          Showing the first {formatCount(shown)} of {formatCount(data.trace.spanCount)} spans.
        </div>
      ) : null}
      <div className="trace-panes">
        <section className="panel trace-tree-pane" aria-label="Span tree">
          {isPending || !tree ? (
            <Loading label="Loading the trace…" />
          ) : shown === 0 ? (
            <EmptyState title="No spans have arrived for this trace yet" />
          ) : (
            <SpanTree tree={tree} selectedSpanId={selectedSpanId} onSelect={select} />
          )}
        </section>
        <section
          className="panel trace-detail-pane"
          aria-label="Span detail"
          data-testid="span-detail"
        >
          {detailTarget ? (
            <SpanDetail target={detailTarget} />
          ) : (
            <EmptyState title="Select a span" />
          )}
        </section>
      </div>
    </div>
  );
}
