// A column header that sorts the list by its column; the current one shows its direction.
import type { SpanSort, SpanSortColumn } from "../../gql/graphql";

export function SortHeader({
  column,
  label,
  sort,
  onSort,
  numeric = false,
}: {
  column: SpanSortColumn;
  label: string;
  sort: Required<SpanSort>;
  onSort: (column: SpanSortColumn) => void;
  numeric?: boolean;
}) {
  const active = sort.column === column;
  const ascending = sort.direction === "ASC";
  const title = active
    ? `Sorted ${ascending ? "smallest" : "largest"} first; click to reverse`
    : `Sort by ${label.toLowerCase()}, largest first`;
  return (
    <th
      className={numeric ? "numeric" : undefined}
      aria-sort={active ? (ascending ? "ascending" : "descending") : "none"}
      data-testid={`sort-${column}`}
    >
      <button
        type="button"
        className={`sort-header${active ? " sort-header-active" : ""}`}
        onClick={() => onSort(column)}
        title={title}
      >
        {label}
        <span className="sort-arrow" aria-hidden="true">
          {active ? (ascending ? "▲" : "▼") : "↕"}
        </span>
      </button>
    </th>
  );
}
