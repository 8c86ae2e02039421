// How scores and their differences from the baseline read.
import type { BaselineComparison } from "../../gql/graphql";
import { jsonPreview } from "../datasets/exampleText";

/** 0.75; "–" for none. */
export function formatScore(score: number | null | undefined): string {
  if (score == null) return "–";
  return Number.isInteger(score) ? String(score) : score.toFixed(2);
}

/** +0.25, −1, ±0. */
export function formatDelta(delta: number | null | undefined): string {
  if (delta == null) return "";
  if (delta === 0) return "±0";
  const magnitude = formatScore(Math.abs(delta));
  return delta > 0 ? `+${magnitude}` : `−${magnitude}`;
}

export const COMPARISON_LABELS: Record<BaselineComparison, string> = {
  REGRESSED: "Regressed",
  IMPROVED: "Improved",
  EQUAL: "Equal",
};

/** The class that colours a delta: better, worse or the same as the baseline. */
export function comparisonClass(comparison: BaselineComparison | null | undefined): string {
  if (comparison === "IMPROVED") return "delta delta-improved";
  if (comparison === "REGRESSED") return "delta delta-regressed";
  if (comparison === "EQUAL") return "delta delta-equal";
  return "delta";
}

/** A run's output or an example's value on one line (`answer: 4 · source: docs`). */
export function valuePreview(value: unknown): string {
  return typeof value === "string" ? value : jsonPreview(value);
}

/** A value in full, as a block of text. */
export function valueText(value: unknown): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value ?? null, null, 2);
}
