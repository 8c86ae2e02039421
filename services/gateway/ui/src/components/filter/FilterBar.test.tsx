import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { MemoryRouter, useLocation } from "react-router";
import { describe, expect, it } from "vitest";

import { GraphQLRequestError, UpstreamError } from "../../api/graphql";
import { useListSearch } from "../tables/listSearch";
import { FilterBar } from "./FilterBar";
import { filterErrorMessage } from "./filterError";

const TYPO_MESSAGE =
  "Invalid filter expression at line 1, column 1: " +
  "unknown name 'span_kin'; did you mean 'span_kind'?";

/** A filter bar whose applied value lives in state, as the pages keep it in the URL. */
function Controlled({ initial = "", error = null }: { initial?: string; error?: string | null }) {
  const [applied, setApplied] = useState(initial);
  return (
    <>
      <FilterBar value={applied} onApply={setApplied} error={error} />
      <output data-testid="applied">{applied}</output>
    </>
  );
}

/** The filter bar bound to the URL, as the traces page binds it, and the URL's search. */
function InRouter() {
  const search = useListSearch();
  const location = useLocation();
  return (
    <>
      <FilterBar value={search.filter} onApply={search.applyFilter} error={null} />
      <output data-testid="location-search">{location.search}</output>
    </>
  );
}

describe("FilterBar", () => {
  it("applies the typed expression on Enter, trimmed", async () => {
    const user = userEvent.setup();
    render(<Controlled />);
    await user.type(screen.getByTestId("filter-input"), "  span_kind == 'LLM'  {Enter}");
    expect(screen.getByTestId("applied")).toHaveTextContent(/^span_kind == 'LLM'$/);
  });

  it("applies only when asked: typing alone changes nothing, Apply does", async () => {
    const user = userEvent.setup();
    render(<Controlled />);
    await user.type(screen.getByTestId("filter-input"), "latency_ms > 1000");
    expect(screen.getByTestId("applied")).toBeEmptyDOMElement();
    await user.click(screen.getByRole("button", { name: "Apply" }));
    expect(screen.getByTestId("applied")).toHaveTextContent("latency_ms > 1000");
  });

  it("clears both the input and the applied filter", async () => {
    const user = userEvent.setup();
    render(<Controlled initial="status_code == 'ERROR'" />);
    expect(screen.getByTestId("filter-input")).toHaveValue("status_code == 'ERROR'");
    await user.click(screen.getByRole("button", { name: "Clear" }));
    expect(screen.getByTestId("filter-input")).toHaveValue("");
    expect(screen.getByTestId("applied")).toBeEmptyDOMElement();
  });

  it("shows the server's message inline as an alert and marks the input invalid", () => {
    render(<Controlled initial="span_kin == 'LLM'" error={TYPO_MESSAGE} />);
    const alert = screen.getByRole("alert");
    expect(alert).toHaveAttribute("data-testid", "filter-error");
    expect(alert).toHaveTextContent("did you mean 'span_kind'?");
    expect(alert).toHaveTextContent("line 1, column 1");
    const input = screen.getByTestId("filter-input");
    expect(input).toHaveAttribute("aria-invalid", "true");
    expect(input).toHaveAccessibleDescription(TYPO_MESSAGE);
  });

  it("shows no alert while the filter is fine", () => {
    render(<Controlled initial="span_kind == 'LLM'" />);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(screen.getByTestId("filter-input")).not.toHaveAttribute("aria-invalid");
  });

  it("applies an example expression when it is clicked", async () => {
    const user = userEvent.setup();
    render(<Controlled />);
    await user.click(screen.getByRole("button", { name: "status_code == 'ERROR'" }));
    expect(screen.getByTestId("applied")).toHaveTextContent("status_code == 'ERROR'");
    expect(screen.getByTestId("filter-input")).toHaveValue("status_code == 'ERROR'");
  });

  it("keeps the applied filter in the URL, so a link shares it", async () => {
    const user = userEvent.setup();
    render(
      <MemoryRouter initialEntries={["/projects/shop/traces?range=24h&filter=latency_ms+%3E+5"]}>
        <InRouter />
      </MemoryRouter>,
    );
    const input = screen.getByTestId("filter-input");
    expect(input).toHaveValue("latency_ms > 5");
    await user.clear(input);
    await user.type(input, "span_kind == 'LLM'{Enter}");
    const params = new URLSearchParams(screen.getByTestId("location-search").textContent ?? "");
    expect(params.get("filter")).toBe("span_kind == 'LLM'");
    expect(params.get("range")).toBe("24h");
    await user.click(screen.getByRole("button", { name: "Clear" }));
    expect(screen.getByTestId("location-search")).toHaveTextContent(/^\?range=24h$/);
  });
});

describe("filterErrorMessage", () => {
  it("takes the server's refusal of the filter argument", () => {
    const error = new GraphQLRequestError(TYPO_MESSAGE, "INVALID_FILTER", "filter");
    expect(filterErrorMessage(error)).toBe(TYPO_MESSAGE);
  });

  it("leaves other failures to the page's error state", () => {
    const badCursor = new GraphQLRequestError("Invalid cursor", "BAD_USER_INPUT", "after");
    expect(filterErrorMessage(badCursor)).toBeNull();
    expect(filterErrorMessage(new UpstreamError("The query API is down", 503))).toBeNull();
    expect(filterErrorMessage(null)).toBeNull();
  });
});
