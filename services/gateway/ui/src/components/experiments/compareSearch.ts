// Everything the comparison page shows lives in its address, so a link reopens it as it was:
// `experimentId` (repeated, the baseline first), `q` (a search in the examples' input),
// `evaluator` + `comparison` (+ `versus`: one compared experiment) for the score filter, and
// `after` (repeated): the cursors of the pages walked through, the last one being the page shown.
import type { BaselineComparison, ExperimentComparisonFilter } from "../../gql/graphql";

export const MIN_COMPARED = 2;
export const MAX_COMPARED = 8;

const COMPARISONS: readonly BaselineComparison[] = ["REGRESSED", "IMPROVED", "EQUAL"];

export interface CompareState {
  /** The compared experiments, the baseline first. */
  experimentIds: string[];
  search: string;
  filter: { evaluator: string; comparison: BaselineComparison; versus: string | null } | null;
  /** The `endCursor`s of the pages before the one shown. */
  cursors: string[];
}

function isComparison(value: string | null): value is BaselineComparison {
  return COMPARISONS.some((comparison) => comparison === value);
}

/** The page's state as the address holds it; parameters that make no sense are ignored. */
export function readCompareState(params: URLSearchParams): CompareState {
  const experimentIds = [...new Set(params.getAll("experimentId").filter(Boolean))];
  const evaluator = params.get("evaluator") ?? "";
  const comparison = params.get("comparison");
  const versus = params.get("versus");
  return {
    experimentIds,
    search: params.get("q") ?? "",
    filter:
      evaluator && isComparison(comparison)
        ? {
            evaluator,
            comparison,
            versus: versus && experimentIds.slice(1).includes(versus) ? versus : null,
          }
        : null,
    cursors: params.getAll("after").filter(Boolean),
  };
}

/** The address's query for `state`. */
export function writeCompareState(state: CompareState): URLSearchParams {
  const params = new URLSearchParams();
  for (const id of state.experimentIds) params.append("experimentId", id);
  if (state.search) params.set("q", state.search);
  if (state.filter) {
    params.set("evaluator", state.filter.evaluator);
    params.set("comparison", state.filter.comparison);
    if (state.filter.versus) params.set("versus", state.filter.versus);
  }
  for (const cursor of state.cursors) params.append("after", cursor);
  return params;
}

/** What the comparison asks the server for (a new search, filter or set of experiments starts
 * at page 1, so every change but paging drops the cursors). */
export function comparisonFilter(state: CompareState): ExperimentComparisonFilter | null {
  if (!state.filter) return null;
  return {
    annotationName: state.filter.evaluator,
    comparison: state.filter.comparison,
    experimentId: state.filter.versus,
  };
}

/** `state` with `experimentId` as the baseline (the others keep their order), from page 1. */
export function withBaseline(state: CompareState, experimentId: string): CompareState {
  const others = state.experimentIds.filter((id) => id !== experimentId);
  const versus = state.filter?.versus === experimentId ? null : (state.filter?.versus ?? null);
  return {
    ...state,
    experimentIds: [experimentId, ...others],
    filter: state.filter ? { ...state.filter, versus } : null,
    cursors: [],
  };
}

/** `state` without `experimentId`, from page 1 (a filter against it is dropped). */
export function without(state: CompareState, experimentId: string): CompareState {
  const versus = state.filter?.versus === experimentId ? null : (state.filter?.versus ?? null);
  return {
    ...state,
    experimentIds: state.experimentIds.filter((id) => id !== experimentId),
    filter: state.filter ? { ...state.filter, versus } : null,
    cursors: [],
  };
}

/** Why the experiments in the address can't be compared, or null if they can. */
export function comparedProblem(experimentIds: readonly string[]): string | null {
  if (experimentIds.length < MIN_COMPARED) {
    return `Choose ${MIN_COMPARED} to ${MAX_COMPARED} experiments to compare: ${experimentIds.length} chosen.`;
  }
  if (experimentIds.length > MAX_COMPARED) {
    return `At most ${MAX_COMPARED} experiments can be compared: ${experimentIds.length} chosen.`;
  }
  return null;
}
