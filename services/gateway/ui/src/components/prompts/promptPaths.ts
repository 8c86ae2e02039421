// The addresses of the prompt pages and the playground. Ids are the API's GlobalIDs (base64,
// which may end in `=`), encoded for a path segment or a query parameter.

/** `/prompts/<id>`: a prompt's versions and tags. */
export function promptPath(promptId: string): string {
  return `/prompts/${encodeURIComponent(promptId)}`;
}

/** What the playground opens with: a stored version, an LLM span to replay, a dataset to run
 * over (each optional). */
export interface PlaygroundStart {
  promptVersionId?: string;
  spanId?: string;
  datasetId?: string;
}

/** `/playground?promptVersionId=…&spanId=…&datasetId=…`. */
export function playgroundPath(start: PlaygroundStart = {}): string {
  const params = new URLSearchParams();
  if (start.promptVersionId) params.set("promptVersionId", start.promptVersionId);
  if (start.spanId) params.set("spanId", start.spanId);
  if (start.datasetId) params.set("datasetId", start.datasetId);
  const query = params.toString();
  return query ? `/playground?${query}` : "/playground";
}
