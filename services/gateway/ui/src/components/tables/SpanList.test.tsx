import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, useLocation } from "react-router";
import { describe, expect, it } from "vitest";

import { GraphQLRequestError } from "../../api/graphql";
import { usePager } from "../../lib/pager";
import { useListSearch } from "./listSearch";
import { SpanList } from "./SpanList";
import type { SpanListPage } from "./SpanList";
import { tracePath } from "./SpanTable";
import type { SpanRow } from "./SpanTable";

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";

function row(name: string, overrides: Partial<SpanRow> = {}): SpanRow {
  return {
    key: name,
    href: tracePath(TRACE_ID),
    traceId: TRACE_ID,
    spanId: null,
    name,
    spanKind: "AGENT",
    inputPreview: `question of ${name}`,
    outputPreview: `answer of ${name}`,
    startTime: "2025-01-01T12:00:00Z",
    latencyMs: 1250,
    tokens: 150,
    cost: 0.0012,
    statusCode: "OK",
    annotationSummaries: [],
    ...overrides,
  };
}

function pageOf(rows: SpanRow[]): SpanListPage {
  return { rows, hasNextPage: false, endCursor: null };
}

/** The list as a page renders it, bound to the URL; the URL's search shown beside it. */
function List({ page, error = null }: { page: SpanListPage | undefined; error?: Error | null }) {
  const search = useListSearch();
  const pager = usePager(search.resetKey);
  const location = useLocation();
  return (
    <>
      <SpanList
        projectName="shop"
        noun="traces"
        filterScope="each trace's root span"
        search={search}
        pager={pager}
        page={page}
        error={error}
        updating={false}
        live
      />
      <output data-testid="location-search">{location.search}</output>
    </>
  );
}

function renderAt(url: string, page: SpanListPage | undefined, error: Error | null = null) {
  const view = (next: SpanListPage | undefined, nextError: Error | null) => (
    <MemoryRouter initialEntries={[url]}>
      <List page={next} error={nextError} />
    </MemoryRouter>
  );
  const result = render(view(page, error));
  return {
    rerender: (next: SpanListPage | undefined, nextError: Error | null) =>
      result.rerender(view(next, nextError)),
  };
}

const refusal = new GraphQLRequestError(
  "Invalid filter expression at line 1, column 1: " +
    "unknown name 'span_kin'; did you mean 'span_kind'?",
  "INVALID_FILTER",
  "filter",
);

describe("SpanList", () => {
  it("shows a row per trace that links to the trace, with its previews and figures", () => {
    renderAt("/projects/shop/traces", pageOf([row("agent")]));
    const rows = screen.getAllByTestId("trace-row");
    expect(rows).toHaveLength(1);
    expect(within(rows[0]).getByRole("link", { name: "agent" })).toHaveAttribute(
      "href",
      `/traces/${TRACE_ID}`,
    );
    expect(within(rows[0]).getByTestId("input-preview")).toHaveTextContent("question of agent");
    expect(within(rows[0]).getByTestId("output-preview")).toHaveTextContent("answer of agent");
    expect(within(rows[0]).getByTestId("latency")).toHaveTextContent("1.25 s");
    expect(within(rows[0]).getByTestId("tokens")).toHaveTextContent("150");
    expect(within(rows[0]).getByTestId("status")).toHaveTextContent("ok");
  });

  it("keeps the previous rows when the server refuses the next filter, and says so", () => {
    const view = renderAt("/projects/shop/traces", pageOf([row("agent")]));
    view.rerender(undefined, refusal);
    expect(screen.getByTestId("filter-error")).toHaveTextContent("did you mean 'span_kind'?");
    expect(screen.getAllByTestId("trace-row")).toHaveLength(1);
    expect(screen.getByTestId("stale-rows-note")).toHaveTextContent("was not applied");
  });

  it("explains a refused filter instead of showing an empty table when nothing came before", () => {
    renderAt("/projects/shop/traces?filter=span_kin+%3D%3D+%27LLM%27", undefined, refusal);
    expect(screen.getByTestId("filter-error")).toBeVisible();
    expect(screen.queryByTestId("traces-table")).not.toBeInTheDocument();
    expect(screen.getByTestId("empty-state")).toHaveTextContent("The filter could not be applied");
  });

  it("says when the time range holds no traces at all", () => {
    renderAt("/projects/shop/traces", pageOf([]));
    expect(screen.getByTestId("empty-state")).toHaveTextContent("No traces in this time range");
  });

  it("says when the filter matches nothing, naming the filter", () => {
    renderAt("/projects/shop/traces?filter=latency_ms+%3E+99999", pageOf([]));
    const state = screen.getByTestId("empty-state");
    expect(state).toHaveTextContent("No traces match the filter");
    expect(state).toHaveTextContent("latency_ms > 99999");
  });

  it("says the project is missing when the server knows no such project", () => {
    renderAt("/projects/shop/traces", { rows: null, hasNextPage: false, endCursor: null });
    expect(screen.getByTestId("empty-state")).toHaveTextContent("No project named shop");
  });

  it("sorts by a clicked header, largest first, then the other way, kept in the URL", async () => {
    const user = userEvent.setup();
    renderAt("/projects/shop/traces", pageOf([row("agent")]));
    expect(screen.getByTestId("sort-startTime")).toHaveAttribute("aria-sort", "descending");
    expect(screen.getByTestId("sort-latencyMs")).toHaveAttribute("aria-sort", "none");

    await user.click(screen.getByRole("button", { name: /Latency/ }));
    let params = new URLSearchParams(screen.getByTestId("location-search").textContent ?? "");
    expect([params.get("sort"), params.get("dir")]).toEqual(["latencyMs", "DESC"]);
    expect(screen.getByTestId("sort-latencyMs")).toHaveAttribute("aria-sort", "descending");
    expect(screen.getByTestId("sort-startTime")).toHaveAttribute("aria-sort", "none");

    await user.click(screen.getByRole("button", { name: /Latency/ }));
    params = new URLSearchParams(screen.getByTestId("location-search").textContent ?? "");
    expect([params.get("sort"), params.get("dir")]).toEqual(["latencyMs", "ASC"]);
    expect(screen.getByTestId("sort-latencyMs")).toHaveAttribute("aria-sort", "ascending");
  });

  it("links a span's row to its trace with the span selected", () => {
    const spanId = "b7ad6b7169203331";
    renderAt(
      "/projects/shop/spans",
      pageOf([row("ChatCompletion", { spanId, href: tracePath(TRACE_ID, spanId) })]),
    );
    expect(screen.getByRole("link", { name: "ChatCompletion" })).toHaveAttribute(
      "href",
      `/traces/${TRACE_ID}?span=${spanId}`,
    );
  });

  it("shows each annotation name as a column of scores, labels where there is no score", () => {
    const correctness = (meanScore: number) => ({
      name: "correctness",
      count: 1,
      meanScore,
      labelFractions: [],
    });
    const tone = {
      name: "tone",
      count: 2,
      meanScore: null,
      labelFractions: [{ label: "curt", fraction: 1 }],
    };
    renderAt(
      "/projects/shop/traces",
      pageOf([
        row("first", { annotationSummaries: [correctness(0.5), tone] }),
        row("second", { annotationSummaries: [correctness(1)] }),
        row("third"),
      ]),
    );
    const headers = screen.getAllByTestId("score-column").map((header) => header.textContent);
    expect(headers).toEqual(["correctness", "tone"]);
    const [first, second, third] = screen.getAllByTestId("trace-row");
    const cells = (element: HTMLElement) =>
      within(element).getAllByTestId("score-cell").map((cell) => cell.textContent);
    expect(cells(first)).toEqual(["0.50", "curt"]);
    expect(cells(second)).toEqual(["1.00", ""]);
    expect(cells(third)).toEqual(["", ""]);
    expect(screen.queryByText("Other annotations")).not.toBeInTheDocument();
  });
});
