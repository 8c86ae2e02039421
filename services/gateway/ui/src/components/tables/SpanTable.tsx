// The rows of the traces and spans tables: one per trace (its root span's name and texts) or
// per span. Every row is a real link to its trace, so a middle click opens it in a new tab.
// Annotations are columns (`scoreColumns.ts`): the names on the rows shown, the most frequent
// first; the names beyond them stay as chips in a last column.
import { Link } from "react-router";

import { AnnotationChips } from "../AnnotationChips";
import type { AnnotationSummaryView } from "../AnnotationChips";
import { SpanKindIcon } from "../SpanKindIcon";
import { StatusBadge } from "../StatusBadge";
import type { SpanSort, SpanSortColumn } from "../../gql/graphql";
import { formatCost, formatCount, formatLatency, formatTime } from "../../lib/format";
import { otherAnnotations, scoreCell, scoreColumns } from "./scoreColumns";
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

/** What a score column's header says when pointed at: the table sorts by no annotation, so it
 * says how to select rows by one instead. */
function scoreColumnTitle(name: string): string {
  const expression = `annotations[${JSON.stringify(name)}].score`;
  return `${name}: the mean score, or the most common label. Filter by it: ${expression} < 0.5`;
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
  const scores = scoreColumns(rows);
  const others = rows.some((row) => otherAnnotations(row.annotationSummaries, scores).length > 0);
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
          {scores.map((name) => (
            <th
              key={name}
              className="numeric score-column"
              data-testid="score-column"
              title={scoreColumnTitle(name)}
            >
              {name}
            </th>
          ))}
          {others ? <th>Other annotations</th> : null}
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
            {scores.map((name) => {
              const cell = scoreCell(row.annotationSummaries, name);
              return (
                <td
                  key={name}
                  className={`numeric score-cell${cell?.isLabel ? " score-label" : ""}`}
                  data-testid="score-cell"
                  data-annotation={name}
                  title={cell?.title}
                >
                  {cell ? cell.text : ""}
                </td>
              );
            })}
            {others ? (
              <td className="span-table-annotations">
                <AnnotationChips summaries={otherAnnotations(row.annotationSummaries, scores)} />
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
