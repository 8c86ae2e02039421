// The rows of the traces and spans tables: one per trace (its root span's name and texts) or
// per span. Every row is a real link to its trace, so a middle click opens it in a new tab.
import { Link } from "react-router";

import { AnnotationChips } from "../AnnotationChips";
import type { AnnotationSummaryView } from "../AnnotationChips";
import { SpanKindIcon } from "../SpanKindIcon";
import { StatusBadge } from "../StatusBadge";
import type { SpanSort, SpanSortColumn } from "../../gql/graphql";
import { formatCost, formatCount, formatLatency, formatTime } from "../../lib/format";
import { SortHeader } from "./SortHeader";
import "./tables.css";

/** What a row shows, whether it stands for a trace or a span. */
export interface SpanRow {
  /** Unique among the rows (a GlobalID). */
  key: string;
  /** Where the row leads: the trace, with the span selected for a span row. */
  href: string;
  traceId: string;
  spanId: string | null;
  name: string;
  spanKind: string;
  inputPreview: string | null | undefined;
  outputPreview: string | null | undefined;
  startTime: string;
  latencyMs: number;
  tokens: number | null | undefined;
  cost: number | null | undefined;
  statusCode: string;
  annotationSummaries: AnnotationSummaryView[];
}

/** `/traces/<traceId>`, with `?span=` to open one of its spans. */
export function tracePath(traceId: string, spanId?: string): string {
  const path = `/traces/${encodeURIComponent(traceId)}`;
  return spanId ? `${path}?span=${encodeURIComponent(spanId)}` : path;
}

/** Rows picked with their checkboxes (by `key`), for actions on several rows at once. */
export interface RowSelection {
  selected: ReadonlySet<string>;
  onToggle: (key: string) => void;
  /** Select every row shown, or none. */
  onToggleAll: (select: boolean) => void;
}

export function SpanTable({
  rows,
  sort,
  onSort,
  testId,
  rowTestId,
  selection,
}: {
  rows: SpanRow[];
  sort: Required<SpanSort>;
  onSort: (column: SpanSortColumn) => void;
  testId: string;
  rowTestId: string;
  /** Given: a checkbox column to pick rows with. */
  selection?: RowSelection;
}) {
  const allSelected = rows.length > 0 && rows.every((row) => selection?.selected.has(row.key));
  const header = (column: SpanSortColumn, label: string, numeric = false) => (
    <SortHeader column={column} label={label} sort={sort} onSort={onSort} numeric={numeric} />
  );
  return (
    <table className="data span-table" data-testid={testId}>
      <thead>
        <tr>
          {selection ? (
            <th className="select-cell">
              <input
                type="checkbox"
                aria-label="Select every row shown"
                data-testid="select-all-rows"
                checked={allSelected}
                onChange={(event) => selection.onToggleAll(event.target.checked)}
              />
            </th>
          ) : null}
          <th>Name</th>
          <th>Input</th>
          <th>Output</th>
          {header("startTime", "Start")}
          {header("latencyMs", "Latency", true)}
          {header("tokens", "Tokens", true)}
          {header("cost", "Cost", true)}
          <th>Status</th>
          <th>Annotations</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr
            key={row.key}
            className="span-table-row"
            data-testid={rowTestId}
            data-trace-id={row.traceId}
            data-span-id={row.spanId ?? undefined}
          >
            {selection ? (
              <td className="select-cell">
                <input
                  type="checkbox"
                  aria-label={`Select ${row.name}`}
                  data-testid="select-row"
                  checked={selection.selected.has(row.key)}
                  onChange={() => selection.onToggle(row.key)}
                />
              </td>
            ) : null}
            <td>
              <span className="span-table-name">
                <SpanKindIcon kind={row.spanKind} />
                {/* The link's box is stretched over the whole row (tables.css). */}
                <Link to={row.href} className="row-link">
                  {row.name}
                </Link>
              </span>
            </td>
            <td className="preview" data-testid="input-preview">
              {row.inputPreview ?? "–"}
            </td>
            <td className="preview" data-testid="output-preview">
              {row.outputPreview ?? "–"}
            </td>
            <td className="span-table-time">{formatTime(row.startTime)}</td>
            <td className="numeric" data-testid="latency">
              {formatLatency(row.latencyMs)}
            </td>
            <td className="numeric" data-testid="tokens">
              {formatCount(row.tokens)}
            </td>
            <td className="numeric" data-testid="cost">
              {formatCost(row.cost)}
            </td>
            <td>
              <StatusBadge status={row.statusCode} />
            </td>
            <td className="span-table-annotations">
              <AnnotationChips summaries={row.annotationSummaries} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
