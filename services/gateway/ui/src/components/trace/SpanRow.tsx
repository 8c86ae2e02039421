// One row of the span tree: the span's place in the tree on the left, its bar in the trace's
// waterfall on the right, so both scroll as one.
import { memo } from "react";

import { formatCount, formatLatency } from "../../lib/format";
import { SpanKindIcon } from "../SpanKindIcon";
import type { SpanTreeNode } from "./outline";

/** Pixels per tree level. Past `MAX_INDENT_LEVELS` rows stop moving right, so a chain of
 * thousands of spans keeps its names on screen (the level is still in `aria-level`). */
const INDENT_PIXELS = 14;
const MAX_INDENT_LEVELS = 24;

export interface SpanRowProps {
  node: SpanTreeNode;
  /** Its children are hidden. */
  collapsed: boolean;
  selected: boolean;
  /** Pixels from the top of the tree (the row is placed absolutely: the tree is virtualized). */
  top: number;
  height: number;
  /** The waterfall's full width in milliseconds. */
  durationMs: number;
  onSelect: (spanId: string) => void;
  onToggle: (spanId: string) => void;
}

/** The bar's left edge and width as percentages of the waterfall, at least a sliver wide so a
 * 0 ms span is still seen. */
export function barGeometry(
  startOffsetMs: number,
  latencyMs: number,
  durationMs: number,
): { left: number; width: number } {
  if (durationMs <= 0) return { left: 0, width: 100 };
  const left = Math.min(100, Math.max(0, (startOffsetMs / durationMs) * 100));
  const width = Math.min(100 - left, Math.max(0, (latencyMs / durationMs) * 100));
  return { left, width };
}

export const SpanRow = memo(function SpanRow({
  node,
  collapsed,
  selected,
  top,
  height,
  durationMs,
  onSelect,
  onToggle,
}: SpanRowProps) {
  const { span } = node;
  const hasChildren = node.children.length > 0;
  const failed = span.statusCode.toUpperCase() === "ERROR";
  const hiddenErrors = collapsed ? span.cumulativeErrorCount - (failed ? 1 : 0) : 0;
  const bar = barGeometry(span.startOffsetMs, span.latencyMs, durationMs);
  const indent = Math.min(node.depth, MAX_INDENT_LEVELS) * INDENT_PIXELS;
  const barClass = `waterfall-bar waterfall-${span.spanKind.toLowerCase()}`;
  const started = formatLatency(span.startOffsetMs);
  return (
    <div
      role="treeitem"
      aria-level={node.depth + 1}
      aria-selected={selected}
      aria-expanded={hasChildren ? !collapsed : undefined}
      data-testid="span-row"
      data-span-id={span.spanId}
      className={`span-row${selected ? " span-row-selected" : ""}`}
      style={{ height, transform: `translateY(${top}px)` }}
      onClick={() => onSelect(span.spanId)}
    >
      <div className="span-row-label" style={{ paddingLeft: indent }}>
        {hasChildren ? (
          <button
            type="button"
            className="span-row-toggle"
            tabIndex={-1}
            aria-label={`${collapsed ? "Expand" : "Collapse"} ${span.name}`}
            onClick={(event) => {
              event.stopPropagation();
              onToggle(span.spanId);
            }}
          >
            {collapsed ? "▸" : "▾"}
          </button>
        ) : (
          <span className="span-row-toggle" aria-hidden="true" />
        )}
        <SpanKindIcon kind={span.spanKind} />
        <span className="span-row-name" title={span.name}>
          {span.name}
        </span>
        {failed ? (
          <span className="span-row-error" title="This span failed" aria-label="Error">
            !
          </span>
        ) : null}
        {hiddenErrors > 0 ? (
          <span className="span-row-hidden-errors" title="Failed spans under this one">
            {formatCount(hiddenErrors)} below
          </span>
        ) : null}
        <span className="span-row-latency">{formatLatency(span.latencyMs)}</span>
      </div>
      <div className="span-row-timeline">
        <div
          data-testid="waterfall-bar"
          className={failed ? `${barClass} waterfall-error` : barClass}
          style={{ left: `${bar.left}%`, width: `${bar.width}%` }}
          title={`starts at ${started}, lasts ${formatLatency(span.latencyMs)}`}
        />
      </div>
    </div>
  );
});
