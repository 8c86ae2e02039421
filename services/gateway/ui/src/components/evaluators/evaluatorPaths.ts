// The addresses of the evaluator pages. Ids are the API's GlobalIDs (base64, which may end in
// `=`), encoded for a path segment.

/** `/evaluators`: the library. */
export const EVALUATORS_PATH = "/evaluators";

/** `/evaluators/new`: the form for a new evaluator. */
export const NEW_EVALUATOR_PATH = "/evaluators/new";

/** `/evaluators/<id>`: an evaluator's versions (`?version=<n>` shows that one). */
export function evaluatorPath(evaluatorId: string, version?: number): string {
  const base = `/evaluators/${encodeURIComponent(evaluatorId)}`;
  return version === undefined ? base : `${base}?version=${version}`;
}

/** `/datasets/<id>/evaluators`: the evaluators attached to a dataset. */
export function datasetEvaluatorsPath(datasetId: string): string {
  return `/datasets/${encodeURIComponent(datasetId)}/evaluators`;
}
