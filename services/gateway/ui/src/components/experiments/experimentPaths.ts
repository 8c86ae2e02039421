// The addresses of the experiment pages. Ids are the API's GlobalIDs (`Experiment:<rowid>` in
// base64, which may end in `=`), encoded for a path segment or a query parameter.
import { datasetPath } from "../datasets/datasetPaths";

/** `/datasets/<id>/experiments/<experiment id>`: one experiment's runs. */
export function experimentPath(datasetId: string, experimentId: string): string {
  return `${datasetPath(datasetId, "experiments")}/${encodeURIComponent(experimentId)}`;
}

/** `/datasets/<id>/compare?experimentId=<baseline>&experimentId=<other>…`. */
export function comparePath(datasetId: string, experimentIds: readonly string[]): string {
  const params = new URLSearchParams();
  for (const id of experimentIds) params.append("experimentId", id);
  return `${datasetPath(datasetId)}/compare?${params.toString()}`;
}

/** `/traces/<OTel trace id>`: a run's or an evaluation's trace. */
export function tracePath(traceId: string): string {
  return `/traces/${encodeURIComponent(traceId)}`;
}
