// The addresses of a dataset's pages. Ids are the GlobalIDs the API answers (`Dataset:<rowid>` in
// base64, which may end in `=`), encoded for a path segment.

export type DatasetTab = "experiments" | "examples" | "versions";

/** `/datasets/<id>/<tab>`, or the dataset's home without a tab. */
export function datasetPath(datasetId: string, tab?: DatasetTab): string {
  const base = `/datasets/${encodeURIComponent(datasetId)}`;
  return tab ? `${base}/${tab}` : base;
}

/** One example's panel, beside the examples of the version and split the address names. */
export function examplePath(datasetId: string, exampleId: string, search = ""): string {
  return `${datasetPath(datasetId, "examples")}/${encodeURIComponent(exampleId)}${search}`;
}
