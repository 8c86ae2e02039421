// What a span or trace list shows besides its time range, kept in the URL so a link shares it:
// `?filter=<expression>`, `?sort=latencyMs&dir=ASC`, and on the spans page `?rootSpansOnly=1`.
import { useSearchParams } from "react-router";

import type { SortDirection, SpanSort, SpanSortColumn } from "../../gql/graphql";

const SORT_COLUMNS: readonly SpanSortColumn[] = ["startTime", "latencyMs", "tokens", "cost"];

/** The order the server uses without a `sort` argument; the header shows it as the current one. */
export const DEFAULT_SORT: Readonly<SpanSort> = { column: "startTime", direction: "DESC" };

function isSortColumn(value: string | null): value is SpanSortColumn {
  return SORT_COLUMNS.some((column) => column === value);
}

export interface ListSearch {
  /** The applied filter expression; "" for none. */
  filter: string;
  applyFilter: (expression: string) => void;
  /** The order shown: the URL's, or the server's default. */
  sort: Required<SpanSort>;
  /** Sorts by `column`: the other direction if it is already the sort, else largest first. */
  toggleSort: (column: SpanSortColumn) => void;
  rootSpansOnly: boolean;
  setRootSpansOnly: (value: boolean) => void;
  /** Changes whenever the rows asked for change, so the pager starts over. */
  resetKey: string;
}

/** The list's search state from the URL, and setters that keep the other parameters. */
export function useListSearch(): ListSearch {
  const [searchParams, setSearchParams] = useSearchParams();
  const filter = searchParams.get("filter") ?? "";
  const rawColumn = searchParams.get("sort");
  const column = isSortColumn(rawColumn) ? rawColumn : DEFAULT_SORT.column;
  const direction: SortDirection = searchParams.get("dir") === "ASC" ? "ASC" : "DESC";
  const rootSpansOnly = searchParams.get("rootSpansOnly") === "1";

  const update = (change: (params: URLSearchParams) => void) =>
    setSearchParams((previous) => {
      const params = new URLSearchParams(previous);
      change(params);
      return params;
    });

  return {
    filter,
    applyFilter: (expression) =>
      update((params) => {
        const trimmed = expression.trim();
        if (trimmed) params.set("filter", trimmed);
        else params.delete("filter");
      }),
    sort: { column, direction },
    toggleSort: (next) =>
      update((params) => {
        const nextDirection = next === column && direction === "DESC" ? "ASC" : "DESC";
        params.set("sort", next);
        params.set("dir", nextDirection);
      }),
    rootSpansOnly,
    setRootSpansOnly: (value) =>
      update((params) => {
        if (value) params.set("rootSpansOnly", "1");
        else params.delete("rootSpansOnly");
      }),
    resetKey: [filter, column, direction, rootSpansOnly].join("|"),
  };
}
