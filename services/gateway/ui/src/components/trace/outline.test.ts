import { ancestorIds, buildSpanTree, parseOutline, visibleNodes } from "./outline";
import type { OutlineSpan } from "./outline";

const COLUMNS = [
  "spanId",
  "parentId",
  "name",
  "spanKind",
  "statusCode",
  "startOffsetMs",
  "latencyMs",
  "cumulativeTokenCountTotal",
  "costTotal",
  "cumulativeErrorCount",
];

function span(
  spanId: string,
  parentId: string | null,
  startOffsetMs = 0,
  latencyMs = 1,
): OutlineSpan {
  return {
    spanId,
    parentId,
    name: spanId,
    spanKind: "CHAIN",
    statusCode: "OK",
    startOffsetMs,
    latencyMs,
    cumulativeTokenCountTotal: 0,
    costTotal: null,
    cumulativeErrorCount: 0,
  };
}

const names = (nodes: { span: OutlineSpan }[]) => nodes.map((node) => node.span.spanId);

describe("parseOutline", () => {
  it("reads each field by its column name, whatever the order", () => {
    const reordered = [...COLUMNS].reverse();
    const row = ["a", null, "agent", "AGENT", "ERROR", 0, 900, 150, 0.002, 1];
    const outline = parseOutline({
      startTime: "2025-01-01T00:00:00+00:00",
      truncated: true,
      columns: reordered,
      rows: [[...row].reverse()],
    });

    expect(outline.truncated).toBe(true);
    expect(outline.spans).toEqual([
      {
        spanId: "a",
        parentId: null,
        name: "agent",
        spanKind: "AGENT",
        statusCode: "ERROR",
        startOffsetMs: 0,
        latencyMs: 900,
        cumulativeTokenCountTotal: 150,
        costTotal: 0.002,
        cumulativeErrorCount: 1,
      },
    ]);
  });

  it("says which column is missing", () => {
    expect(() => parseOutline({ columns: ["spanId"], rows: [] })).toThrow(/parentId/);
  });
});

describe("buildSpanTree", () => {
  it("nests children under their parents in start order and measures the trace", () => {
    const tree = buildSpanTree([
      span("root", null, 0, 100),
      span("first", "root", 10, 20),
      span("grandchild", "first", 12, 5),
      span("second", "root", 40, 80),
    ]);

    expect(names(tree.roots)).toEqual(["root"]);
    expect(names(tree.roots[0].children)).toEqual(["first", "second"]);
    expect(tree.byId.get("grandchild")?.depth).toBe(2);
    expect(tree.durationMs).toBe(120);
    expect(ancestorIds(tree, "grandchild")).toEqual(["first", "root"]);
  });

  it("shows a span whose parent has not arrived as a root", () => {
    const tree = buildSpanTree([span("root", null), span("orphan", "missing")]);

    expect(names(tree.roots)).toEqual(["root", "orphan"]);
  });

  it("cuts a parent cycle instead of losing its spans", () => {
    const tree = buildSpanTree([span("a", "b"), span("b", "a")]);

    expect(names(visibleNodes(tree, new Set()))).toEqual(["a", "b"]);
    expect(tree.byId.get("b")?.depth).toBe(1);
  });

  it("handles a chain deeper than the call stack", () => {
    const chain = Array.from({ length: 20_000 }, (_, index) =>
      span(`s${index}`, index === 0 ? null : `s${index - 1}`, index),
    );
    const tree = buildSpanTree(chain);

    expect(tree.byId.get("s19999")?.depth).toBe(19_999);
    expect(visibleNodes(tree, new Set())).toHaveLength(20_000);
  });
});

describe("visibleNodes", () => {
  it("lists the tree depth first and leaves out what a fold hides", () => {
    const tree = buildSpanTree([
      span("root", null),
      span("first", "root"),
      span("grandchild", "first"),
      span("second", "root"),
    ]);

    expect(names(visibleNodes(tree, new Set()))).toEqual(["root", "first", "grandchild", "second"]);
    expect(names(visibleNodes(tree, new Set(["first"])))).toEqual(["root", "first", "second"]);
    expect(names(visibleNodes(tree, new Set(["root"])))).toEqual(["root"]);
  });
});
