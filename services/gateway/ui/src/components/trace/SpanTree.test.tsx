import { act, fireEvent, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useMemo, useState } from "react";

import { buildSpanTree, parseOutline } from "./outline";
import { ROW_HEIGHT, SpanTree } from "./SpanTree";

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

const VIEW_HEIGHT = 560;

// jsdom lays nothing out; give the tree's scroll box the height a browser would, so the
// virtualizer knows how many rows fit.
beforeAll(() => {
  Object.defineProperty(HTMLElement.prototype, "clientHeight", {
    configurable: true,
    get(this: HTMLElement) {
      return this.classList.contains("span-tree") ? VIEW_HEIGHT : 0;
    },
  });
});

afterAll(() => {
  delete (HTMLElement.prototype as { clientHeight?: number }).clientHeight;
});

/** The agent trace's shape: a root with a retriever, an LLM call and a failing tool. */
const agentOutline = {
  startTime: "2025-01-01T00:00:00+00:00",
  truncated: false,
  columns: COLUMNS,
  rows: [
    ["root", null, "agent", "AGENT", "OK", 0, 900, 150, null, 1],
    ["retriever", "root", "retrieve", "RETRIEVER", "OK", 10, 80, 0, null, 0],
    ["llm", "root", "ChatCompletion", "LLM", "OK", 100, 600, 150, 0.001, 0],
    ["tool", "root", "lookup_order", "TOOL", "ERROR", 720, 150, 0, null, 1],
  ],
};

function Harness({ outline, initial = null }: { outline: unknown; initial?: string | null }) {
  const tree = useMemo(() => buildSpanTree(parseOutline(outline).spans), [outline]);
  const [selected, setSelected] = useState<string | null>(initial ?? tree.roots[0].span.spanId);
  return (
    <>
      <output data-testid="selected">{selected}</output>
      {/* Stands for a deep link: a selection made outside the tree. */}
      <button type="button" onClick={() => setSelected("tool")}>
        Link to the tool
      </button>
      <SpanTree tree={tree} selectedSpanId={selected} onSelect={setSelected} />
    </>
  );
}

const rows = () => screen.queryAllByTestId("span-row");
const rowIds = () => rows().map((row) => row.getAttribute("data-span-id"));
const row = (spanId: string) => rows().find((each) => each.dataset.spanId === spanId)!;

describe("SpanTree", () => {
  it("draws the tree from outline rows: names, kinds, nesting, errors and waterfall bars", () => {
    render(<Harness outline={agentOutline} />);

    expect(rowIds()).toEqual(["root", "retriever", "llm", "tool"]);
    expect(row("root")).toHaveAttribute("aria-level", "1");
    expect(row("llm")).toHaveAttribute("aria-level", "2");
    expect(within(row("llm")).getByText("ChatCompletion")).toBeInTheDocument();
    expect(within(row("llm")).getByLabelText("LLM")).toBeInTheDocument();
    expect(within(row("llm")).getByText("600 ms")).toBeInTheDocument();
    expect(within(row("tool")).getByLabelText("Error")).toBeInTheDocument();
    expect(within(row("retriever")).queryByLabelText("Error")).not.toBeInTheDocument();
    // The tool's bar starts at 720 of 900 ms and lasts 150.
    const bar = within(row("tool")).getByTestId("waterfall-bar");
    expect(bar.style.left).toBe("80%");
    expect(parseFloat(bar.style.width)).toBeCloseTo(16.67, 1);
  });

  it("folds and unfolds a span's children with its chevron", async () => {
    const user = userEvent.setup();
    render(<Harness outline={agentOutline} />);

    await user.click(screen.getByRole("button", { name: "Collapse agent" }));
    expect(rowIds()).toEqual(["root"]);
    expect(row("root")).toHaveAttribute("aria-expanded", "false");
    // The failure below stays visible on the folded row.
    expect(within(row("root")).getByText("1 below")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Expand agent" }));
    expect(rowIds()).toEqual(["root", "retriever", "llm", "tool"]);
  });

  it("selects a clicked span and moves the selection with the arrow keys", async () => {
    const user = userEvent.setup();
    render(<Harness outline={agentOutline} />);
    expect(row("root")).toHaveAttribute("aria-selected", "true");

    await user.click(within(row("llm")).getByText("ChatCompletion"));
    expect(screen.getByTestId("selected")).toHaveTextContent("llm");
    expect(row("llm")).toHaveAttribute("aria-selected", "true");
    expect(row("root")).toHaveAttribute("aria-selected", "false");

    await user.keyboard("{ArrowDown}");
    expect(screen.getByTestId("selected")).toHaveTextContent("tool");
    await user.keyboard("{ArrowUp}{ArrowUp}");
    expect(screen.getByTestId("selected")).toHaveTextContent("retriever");
    await user.keyboard("{ArrowLeft}");
    expect(screen.getByTestId("selected")).toHaveTextContent("root");
    await user.keyboard("{ArrowLeft}");
    expect(rowIds()).toEqual(["root"]);
  });

  it("moves the selection up to a span folded over it", async () => {
    const user = userEvent.setup();
    render(<Harness outline={agentOutline} initial="tool" />);

    await user.click(screen.getByRole("button", { name: "Collapse agent" }));

    expect(screen.getByTestId("selected")).toHaveTextContent("root");
    await user.keyboard("{ArrowRight}");
    expect(rowIds()).toEqual(["root", "retriever", "llm", "tool"]);
  });

  it("unfolds the ancestors of a span selected from outside", async () => {
    const user = userEvent.setup();
    render(<Harness outline={agentOutline} />);
    await user.click(screen.getByRole("button", { name: "Collapse agent" }));
    expect(rowIds()).toEqual(["root"]);

    await user.click(screen.getByRole("button", { name: "Link to the tool" }));

    expect(rowIds()).toEqual(["root", "retriever", "llm", "tool"]);
    expect(row("tool")).toHaveAttribute("aria-selected", "true");
  });

  it("renders only a window of a 10,000-span trace and reaches its last span by scrolling", () => {
    const count = 10_000;
    const large = {
      ...agentOutline,
      rows: Array.from({ length: count }, (_, index) =>
        index === 0
          ? ["s0", null, "root", "CHAIN", "OK", 0, count, 0, null, 0]
          : [`s${index}`, "s0", `span ${index}`, "TOOL", "OK", index, 1, 0, null, 0],
      ),
    };
    render(<Harness outline={large} />);

    const fitting = VIEW_HEIGHT / ROW_HEIGHT;
    expect(rows().length).toBeGreaterThanOrEqual(fitting);
    expect(rows().length).toBeLessThan(100);
    expect(rowIds()[0]).toBe("s0");
    expect(rowIds()).not.toContain(`s${count - 1}`);

    const tree = screen.getByTestId("span-tree");
    act(() => {
      tree.scrollTop = count * ROW_HEIGHT - VIEW_HEIGHT;
      fireEvent.scroll(tree);
    });
    expect(rowIds()).toContain(`s${count - 1}`);
    expect(rowIds()).not.toContain("s0");
    expect(rows().length).toBeLessThan(100);
  });
});
