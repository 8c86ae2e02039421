// Scores as columns of the traces and spans tables: the annotation names on the rows shown get a
// column each (the most frequent first, up to `MAX_SCORE_COLUMNS`); a cell shows the row's mean
// score of that name, or its most common label when no annotation of it has a score. Names
// beyond the columns stay as chips in a last column. The API sorts by no annotation, so these
// columns are not sortable (the filter language can select by score instead).
import type { AnnotationSummaryView } from "../AnnotationChips";

export const MAX_SCORE_COLUMNS = 5;

/** The annotation names that get a column: those on the most rows first, then by name. */
export function scoreColumns(
  rows: readonly { annotationSummaries: readonly AnnotationSummaryView[] }[],
  max: number = MAX_SCORE_COLUMNS,
): string[] {
  const rowsWith = new Map<string, number>();
  for (const row of rows) {
    for (const name of new Set(row.annotationSummaries.map((summary) => summary.name))) {
      rowsWith.set(name, (rowsWith.get(name) ?? 0) + 1);
    }
  }
  return [...rowsWith.entries()]
    .sort(([nameA, countA], [nameB, countB]) => countB - countA || nameA.localeCompare(nameB))
    .slice(0, max)
    .map(([name]) => name);
}

export interface ScoreCell {
  /** What the cell shows: "0.75", or a label. */
  text: string;
  /** Everything the summary says, for the cell's tooltip. */
  title: string;
  /** The cell shows a label, not a score. */
  isLabel: boolean;
}

/** The most common label of a summary, if it has labels. */
function topLabel(summary: AnnotationSummaryView): { label: string; fraction: number } | null {
  return summary.labelFractions.reduce<{ label: string; fraction: number } | null>(
    (best, candidate) => (best == null || candidate.fraction > best.fraction ? candidate : best),
    null,
  );
}

/** The cell of column `name` for a row with `summaries`; null when the row has none of it. */
export function scoreCell(
  summaries: readonly AnnotationSummaryView[],
  name: string,
): ScoreCell | null {
  const summary = summaries.find((candidate) => candidate.name === name);
  if (!summary) return null;
  const label = topLabel(summary);
  const count = `${summary.count} annotation${summary.count === 1 ? "" : "s"}`;
  const parts = [`${name}: ${count}`];
  if (summary.meanScore != null) parts.push(`mean score ${summary.meanScore.toFixed(3)}`);
  if (label) parts.push(`most often ${label.label} (${Math.round(label.fraction * 100)}%)`);
  const title = parts.join(", ");
  if (summary.meanScore != null) {
    return { text: summary.meanScore.toFixed(2), title, isLabel: false };
  }
  return { text: label ? label.label : "–", title, isLabel: true };
}

/** The summaries of a row that have no column of their own. */
export function otherAnnotations(
  summaries: readonly AnnotationSummaryView[],
  columns: readonly string[],
): AnnotationSummaryView[] {
  return summaries.filter((summary) => !columns.includes(summary.name));
}
