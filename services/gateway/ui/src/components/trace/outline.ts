// A trace's outline (`Trace.outline`) read into spans, and the spans built into a tree. The
// outline is one JSON value of compact rows, so a 10,000-span trace arrives in one small answer;
// everything here is linear in the spans and never recursive (a trace may be a chain of
// thousands of spans, deeper than the call stack).

/** The fields the tree and the waterfall draw, per span. */
export interface OutlineSpan {
  spanId: string;
  parentId: string | null;
  name: string;
  spanKind: string;
  statusCode: string;
  /** Milliseconds from the trace's start to the span's start. */
  startOffsetMs: number;
  latencyMs: number;
  cumulativeTokenCountTotal: number;
  costTotal: number | null;
  cumulativeErrorCount: number;
}

/** A trace's spans in start order, as `Trace.outline` gives them. */
export interface TraceOutline {
  startTime: string;
  /** The trace has more spans than the outline holds. */
  truncated: boolean;
  spans: OutlineSpan[];
}

interface OutlineValue {
  startTime?: unknown;
  truncated?: unknown;
  columns?: unknown;
  rows?: unknown;
}

/** A cell read as text: a string as it is, a number as its digits, anything else `fallback`. */
function textCell(value: unknown, fallback: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return fallback;
}

/** Reads the `Trace.outline` JSON value, finding each field by its name in `columns` (so the
 * server may add or reorder columns). Throws when a column the UI needs is missing. */
export function parseOutline(value: unknown): TraceOutline {
  const outline = (value ?? {}) as OutlineValue;
  const columns = Array.isArray(outline.columns) ? (outline.columns as string[]) : [];
  const position = (name: string): number => {
    const index = columns.indexOf(name);
    if (index < 0) throw new Error(`The trace outline has no "${name}" column.`);
    return index;
  };
  const at = {
    spanId: position("spanId"),
    parentId: position("parentId"),
    name: position("name"),
    spanKind: position("spanKind"),
    statusCode: position("statusCode"),
    startOffsetMs: position("startOffsetMs"),
    latencyMs: position("latencyMs"),
    tokens: columns.indexOf("cumulativeTokenCountTotal"),
    cost: columns.indexOf("costTotal"),
    errors: columns.indexOf("cumulativeErrorCount"),
  };
  const rows = Array.isArray(outline.rows) ? (outline.rows as unknown[][]) : [];
  const spans = rows.map(
    (row): OutlineSpan => ({
      spanId: String(row[at.spanId]),
      parentId: row[at.parentId] == null ? null : String(row[at.parentId]),
      name: textCell(row[at.name], ""),
      spanKind: textCell(row[at.spanKind], "UNKNOWN"),
      statusCode: textCell(row[at.statusCode], "UNSET"),
      startOffsetMs: Number(row[at.startOffsetMs] ?? 0),
      latencyMs: Number(row[at.latencyMs] ?? 0),
      cumulativeTokenCountTotal: at.tokens < 0 ? 0 : Number(row[at.tokens] ?? 0),
      costTotal: at.cost < 0 || row[at.cost] == null ? null : Number(row[at.cost]),
      cumulativeErrorCount: at.errors < 0 ? 0 : Number(row[at.errors] ?? 0),
    }),
  );
  return {
    startTime: textCell(outline.startTime, ""),
    truncated: outline.truncated === true,
    spans,
  };
}

/** One span in the tree. */
export interface SpanTreeNode {
  span: OutlineSpan;
  parent: SpanTreeNode | null;
  /** In start order. */
  children: SpanTreeNode[];
  /** 0 for a root. */
  depth: number;
}

export interface SpanTree {
  /** Spans without a parent in the trace: the root, and spans whose parent has not arrived. */
  roots: SpanTreeNode[];
  byId: Map<string, SpanTreeNode>;
  /** From the trace's start to the end of its last span: the waterfall's full width. */
  durationMs: number;
}

/** The tree of `spans` (in start order, so children come out in start order too). */
export function buildSpanTree(spans: OutlineSpan[]): SpanTree {
  const byId = new Map<string, SpanTreeNode>();
  for (const span of spans) {
    byId.set(span.spanId, { span, parent: null, children: [], depth: 0 });
  }
  const roots: SpanTreeNode[] = [];
  let durationMs = 0;
  for (const span of spans) {
    const node = byId.get(span.spanId)!;
    const parent = span.parentId == null ? undefined : byId.get(span.parentId);
    if (parent && parent !== node) {
      node.parent = parent;
      parent.children.push(node);
    } else {
      roots.push(node);
    }
    durationMs = Math.max(durationMs, span.startOffsetMs + span.latencyMs);
  }
  // Depths top-down. Spans in a parent cycle (malformed input) are unreached from the roots:
  // the earliest of each cycle is cut from its parent and becomes a root.
  const reached = new Set<SpanTreeNode>();
  const descend = (top: SpanTreeNode): void => {
    const stack = [top];
    while (stack.length > 0) {
      const node = stack.pop()!;
      reached.add(node);
      for (const child of node.children) {
        child.depth = node.depth + 1;
        stack.push(child);
      }
    }
  };
  roots.forEach(descend);
  for (const node of byId.values()) {
    if (reached.has(node)) continue;
    const parent = node.parent!;
    parent.children.splice(parent.children.indexOf(node), 1);
    node.parent = null;
    node.depth = 0;
    roots.push(node);
    descend(node);
  }
  return { roots, byId, durationMs };
}

/** The nodes shown, top to bottom: every node whose ancestors are all expanded. */
export function visibleNodes(tree: SpanTree, collapsed: ReadonlySet<string>): SpanTreeNode[] {
  const shown: SpanTreeNode[] = [];
  const stack = [...tree.roots].reverse();
  while (stack.length > 0) {
    const node = stack.pop()!;
    shown.push(node);
    if (!collapsed.has(node.span.spanId)) {
      for (let index = node.children.length - 1; index >= 0; index -= 1) {
        stack.push(node.children[index]);
      }
    }
  }
  return shown;
}

/** The spans above `spanId`, nearest first (to expand them when it is selected). */
export function ancestorIds(tree: SpanTree, spanId: string): string[] {
  const ids: string[] = [];
  let node = tree.byId.get(spanId)?.parent ?? null;
  while (node) {
    ids.push(node.span.spanId);
    node = node.parent;
  }
  return ids;
}
