// A trace's spans as a tree beside their waterfall, virtualized: only the rows in view (and a
// few either side) are in the DOM, so a 10,000-span trace opens and scrolls like a small one.
import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useEffectEvent, useMemo, useRef, useState } from "react";
import type { KeyboardEvent } from "react";

import { formatLatency } from "../../lib/format";
import { ancestorIds, visibleNodes } from "./outline";
import type { SpanTree as SpanTreeData } from "./outline";
import { SpanRow } from "./SpanRow";
import "./SpanTree.css";

export const ROW_HEIGHT = 28;
/** Rows drawn beyond each edge of the view, so a fast scroll shows no blank rows. */
const OVERSCAN = 12;
/** Where the waterfall's header marks time: few enough that the labels never collide. */
const TICKS = [0, 0.5, 1];

export interface SpanTreeProps {
  tree: SpanTreeData;
  selectedSpanId: string | null;
  onSelect: (spanId: string) => void;
}

/** The tree: click a row to select its span, its chevron to fold it; with the tree focused, up
 * and down move the selection, left and right fold and unfold. */
export function SpanTree({ tree, selectedSpanId, onSelect }: SpanTreeProps) {
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const nodes = useMemo(() => visibleNodes(tree, collapsed), [tree, collapsed]);
  const selectedIndex = useMemo(
    () => nodes.findIndex((node) => node.span.spanId === selectedSpanId),
    [nodes, selectedSpanId],
  );

  // A span selected from outside (a deep link) is shown even when a fold hides it.
  useEffect(() => {
    if (selectedSpanId == null) return;
    const above = ancestorIds(tree, selectedSpanId);
    setCollapsed((previous) => {
      const hiding = above.filter((id) => previous.has(id));
      if (hiding.length === 0) return previous;
      const next = new Set(previous);
      hiding.forEach((id) => next.delete(id));
      return next;
    });
  }, [tree, selectedSpanId]);

  // Folding the selected span's ancestor moves the selection up to it, so it stays in view.
  const toggle = useCallback(
    (spanId: string) => {
      const folding = !collapsed.has(spanId);
      if (folding && selectedSpanId && ancestorIds(tree, selectedSpanId).includes(spanId)) {
        onSelect(spanId);
      }
      setCollapsed((previous) => {
        const next = new Set(previous);
        if (!next.delete(spanId)) next.add(spanId);
        return next;
      });
    },
    [collapsed, tree, selectedSpanId, onSelect],
  );

  const scrollRef = useRef<HTMLDivElement>(null);
  // The rule warns that the React Compiler would skip this component; no compiler builds the UI.
  // eslint-disable-next-line react-hooks/incompatible-library -- see the line above
  const virtualizer = useVirtualizer({
    count: nodes.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
    getItemKey: (index) => nodes[index].span.spanId,
  });

  // Only a new selection (or the selected row coming into the list) scrolls: folding other
  // rows moves the selected row's index, and must not pull the view back to it.
  const scrollToSelected = useEffectEvent(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: "auto" });
  });
  const selectedShown = selectedIndex >= 0;
  useEffect(() => scrollToSelected(), [selectedSpanId, selectedShown]);

  const select = useCallback(
    (spanId: string) => {
      scrollRef.current?.focus({ preventScroll: true });
      onSelect(spanId);
    },
    [onSelect],
  );

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const current = selectedIndex >= 0 ? nodes[selectedIndex] : undefined;
    let target: number | null = null;
    if (event.key === "ArrowDown") target = current ? selectedIndex + 1 : 0;
    else if (event.key === "ArrowUp") target = current ? selectedIndex - 1 : 0;
    else if (event.key === "Home") target = 0;
    else if (event.key === "End") target = nodes.length - 1;
    else if (event.key === "ArrowRight" && current && current.children.length > 0) {
      if (collapsed.has(current.span.spanId)) toggle(current.span.spanId);
      else target = selectedIndex + 1;
    } else if (event.key === "ArrowLeft" && current) {
      if (current.children.length > 0 && !collapsed.has(current.span.spanId)) {
        toggle(current.span.spanId);
      } else if (current.parent) {
        target = nodes.indexOf(current.parent);
      }
    } else return;
    event.preventDefault();
    if (target != null && target >= 0 && target < nodes.length) {
      onSelect(nodes[target].span.spanId);
    }
  };

  return (
    <div className="span-tree-frame">
      <div className="span-tree-header" aria-hidden="true">
        <div className="span-row-label">Span</div>
        <div className="span-row-timeline">
          {TICKS.map((tick) => (
            <span
              key={tick}
              className="waterfall-tick"
              style={{ left: `${tick * 100}%` }}
            >
              {tick === 0 ? "0" : formatLatency(tick * tree.durationMs)}
            </span>
          ))}
        </div>
      </div>
      <div
        ref={scrollRef}
        className="span-tree"
        data-testid="span-tree"
        role="tree"
        aria-label="Spans"
        tabIndex={0}
        onKeyDown={onKeyDown}
      >
        <div className="span-tree-canvas" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const node = nodes[item.index];
            return (
              <SpanRow
                key={item.key}
                node={node}
                collapsed={collapsed.has(node.span.spanId)}
                selected={node.span.spanId === selectedSpanId}
                top={item.start}
                height={item.size}
                durationMs={tree.durationMs}
                onSelect={select}
                onToggle={toggle}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}
