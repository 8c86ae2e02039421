// The evaluator REST API (Spyglass's own; GraphQL has no evaluators): the library of evaluators
// and their versions, a test run before saving, and the evaluators attached to a dataset.
//
// A refusal is an `ApiError` as everywhere else; a 422 is an `EvaluatorFieldError`, which keeps
// each problem's `loc` as well, so that a form shows the message next to the field it names
// (`definition.code`, `input_mapping.expected`). Reads go through react-query under the
// `evaluators` and `dataset-evaluators` keys: a write invalidates them.
import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { reportUpstream } from "../lib/upstream";
import { UpstreamError } from "./graphql";
import { ApiError, apiErrorMessage, fieldProblems, jsonRequest, send } from "./rest";
import type { FieldProblem } from "./rest";

export { fieldProblems };
export type { FieldProblem };

export type EvaluatorKind = "BUILTIN" | "LLM" | "CODE";
export type JsonObject = Record<string, unknown>;

export interface EvaluatorChoice {
  label: string;
  score: number | null;
}

/** What an evaluator reads and gives (null `inputs`: code, which reads what it names). */
export interface EvaluatorProfile {
  inputs: string[] | null;
  choices: EvaluatorChoice[] | null;
  direction: string;
}

/** An evaluator with its latest version. */
export interface Evaluator {
  id: string;
  name: string;
  kind: EvaluatorKind;
  description: string | null;
  version: number;
  version_id: string;
  definition: JsonObject;
  note: string | null;
  profile: EvaluatorProfile | null;
  created_at: string;
  updated_at: string;
}

export interface EvaluatorVersion {
  id: string;
  evaluator_id: string;
  version: number;
  definition: JsonObject;
  note: string | null;
  profile: EvaluatorProfile | null;
  created_at: string;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** What to run in a test: a definition being written, or a saved evaluator's version. */
export type TestSubject =
  | { definition: JsonObject; kind: EvaluatorKind }
  | { evaluator: string; evaluator_version?: number };

/** What to run it on: inputs by name, or a dataset example or a stored span with inputs laid
 * over it; then the input mapping. */
export interface TestMaterial {
  inputs?: JsonObject;
  dataset_example_id?: string;
  project?: string;
  span_id?: string;
  input_mapping?: Record<string, string>;
}

export interface EvaluatorTest {
  result: {
    score: number | null;
    label: string | null;
    explanation: string | null;
    metadata: JsonObject;
  } | null;
  /** Why the evaluation gave no result. */
  error: string | null;
  tokens: number | null;
  cost: number | null;
  /** What code printed. */
  printed: string | null;
  duration_ms: number;
  /** What the evaluator was given, after the material was read and mapped. */
  inputs: JsonObject;
}

export interface DatasetEvaluator {
  id: string;
  dataset_id: string;
  evaluator: { id: string; name: string; kind: EvaluatorKind };
  /** The version it runs; null: always the latest. */
  evaluator_version: number | null;
  /** The annotation name of its scores. */
  name: string;
  input_mapping: Record<string, string>;
  created_at: string;
  updated_at: string;
}

export interface AttachedDatasetEvaluator extends DatasetEvaluator {
  /** Runs already written over the dataset, recorded for scoring when it was attached. */
  existing_runs: number;
}

// Errors -----------------------------------------------------------------------------------------

/** A 422: the API's message, and each problem with the field it names. */
export class EvaluatorFieldError extends ApiError {
  readonly problems: FieldProblem[];

  constructor(message: string, problems: FieldProblem[]) {
    super(message, 422);
    this.name = "EvaluatorFieldError";
    this.problems = problems;
  }
}

const UPSTREAM_STATUSES = new Set([502, 503, 504]);

/** The error a failed answer amounts to. The gateway's own 502-504 (JSON `{"detail"}`, naming
 * the query API) is an `UpstreamError`, and so is any 502-504 to a read; the query API's own
 * 502-504 to a write (a judge's provider failed or was too slow; code can't run on this server)
 * is its answer to this request, an `ApiError` in its words. */
async function failureOf(response: Response, method: string): Promise<Error> {
  const text = await response.text().catch(() => "");
  const message = apiErrorMessage(response.status, text);
  if (response.status === 422) return new EvaluatorFieldError(message, fieldProblems(text));
  if (UPSTREAM_STATUSES.has(response.status)) {
    if (method === "GET" || text.trimStart().startsWith("{")) {
      reportUpstream(message);
      return new UpstreamError(message, response.status);
    }
  }
  return new ApiError(message, response.status);
}

async function evaluatorJson<T>(
  method: "GET" | "POST" | "PATCH" | "DELETE",
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  let response: Response;
  try {
    response = await send(path, jsonRequest(method, body, signal));
  } catch (error) {
    if (error instanceof UpstreamError) reportUpstream(error.message);
    throw error;
  }
  if (!response.ok) throw await failureOf(response, method);
  if (response.status === 204) return null as T;
  try {
    return (await response.json()) as T;
  } catch {
    throw new ApiError("The server's answer was not the expected JSON.", response.status);
  }
}

// Paths and calls --------------------------------------------------------------------------------

function evaluatorPath(identifier: string, rest = ""): string {
  return `/v1/evaluators/${encodeURIComponent(identifier)}${rest}`;
}

function datasetEvaluatorsPath(datasetId: string, rest = ""): string {
  return `/v1/datasets/${encodeURIComponent(datasetId)}/evaluators${rest}`;
}

function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export interface NewEvaluator {
  name: string;
  kind: EvaluatorKind;
  description?: string | null;
  definition: JsonObject;
  note?: string | null;
}

export async function createEvaluator(evaluator: NewEvaluator): Promise<Evaluator> {
  return (await evaluatorJson<{ data: Evaluator }>("POST", "/v1/evaluators", evaluator)).data;
}

export async function createEvaluatorVersion(
  identifier: string,
  version: { definition: JsonObject; note?: string | null },
): Promise<EvaluatorVersion> {
  const path = evaluatorPath(identifier, "/versions");
  return (await evaluatorJson<{ data: EvaluatorVersion }>("POST", path, version)).data;
}

/** Sets the description (null clears it). */
export async function describeEvaluator(
  identifier: string,
  description: string | null,
): Promise<Evaluator> {
  const body = { description };
  return (await evaluatorJson<{ data: Evaluator }>("PATCH", evaluatorPath(identifier), body)).data;
}

export function deleteEvaluator(identifier: string): Promise<null> {
  return evaluatorJson<null>("DELETE", evaluatorPath(identifier));
}

export async function testEvaluator(
  subject: TestSubject,
  material: TestMaterial,
  signal?: AbortSignal,
): Promise<EvaluatorTest> {
  const body = { ...subject, ...material };
  return (
    await evaluatorJson<{ data: EvaluatorTest }>("POST", "/v1/evaluators/test", body, signal)
  ).data;
}

export interface NewDatasetEvaluator {
  evaluator: string;
  evaluator_version: number | null;
  name: string;
  input_mapping: Record<string, string>;
}

export async function attachDatasetEvaluator(
  datasetId: string,
  attachment: NewDatasetEvaluator,
): Promise<AttachedDatasetEvaluator> {
  const path = datasetEvaluatorsPath(datasetId);
  return (await evaluatorJson<{ data: AttachedDatasetEvaluator }>("POST", path, attachment)).data;
}

export function detachDatasetEvaluator(datasetId: string, datasetEvaluatorId: string) {
  const path = datasetEvaluatorsPath(datasetId, `/${encodeURIComponent(datasetEvaluatorId)}`);
  return evaluatorJson<null>("DELETE", path);
}

// Reads ------------------------------------------------------------------------------------------

/** The cache keys of the reads here: a write invalidates `EVALUATORS_KEY` (and the dataset's
 * `DATASET_EVALUATORS_KEY` entry for an attachment). */
export const EVALUATORS_KEY = "evaluators";
export const DATASET_EVALUATORS_KEY = "dataset-evaluators";

/** Refusals (4xx) will fail again: not retried. Outages are, a few times. */
function retryOutages(failures: number, error: Error): boolean {
  return !(error instanceof ApiError && error.status < 500) && failures < 3;
}

/** A page of the library, newest first (of `kind`, if given). */
export function useEvaluatorList(kind: EvaluatorKind | "", cursor: string | undefined, limit = 50) {
  return useQuery({
    queryKey: [EVALUATORS_KEY, "list", kind, cursor, limit],
    queryFn: ({ signal }) =>
      evaluatorJson<Page<Evaluator>>(
        "GET",
        withQuery("/v1/evaluators", { kind, cursor, limit }),
        undefined,
        signal,
      ),
    placeholderData: keepPreviousData,
    retry: retryOutages,
  });
}

/** One evaluator, by GlobalID or name. */
export function useEvaluator(identifier: string) {
  return useQuery({
    queryKey: [EVALUATORS_KEY, "one", identifier],
    queryFn: async ({ signal }) =>
      (await evaluatorJson<{ data: Evaluator }>("GET", evaluatorPath(identifier), undefined, signal))
        .data,
    retry: retryOutages,
  });
}

/** A page of an evaluator's versions, newest first. */
export function useEvaluatorVersions(
  identifier: string,
  cursor: string | undefined,
  limit = 20,
  enabled = true,
) {
  return useQuery({
    queryKey: [EVALUATORS_KEY, "versions", identifier, cursor, limit],
    queryFn: ({ signal }) =>
      evaluatorJson<Page<EvaluatorVersion>>(
        "GET",
        withQuery(evaluatorPath(identifier, "/versions"), { cursor, limit }),
        undefined,
        signal,
      ),
    placeholderData: keepPreviousData,
    retry: retryOutages,
    enabled: enabled && identifier !== "",
  });
}

/** A page of the evaluators attached to a dataset, newest first. */
export function useDatasetEvaluators(datasetId: string, cursor: string | undefined, limit = 50) {
  return useQuery({
    queryKey: [DATASET_EVALUATORS_KEY, datasetId, cursor, limit],
    queryFn: ({ signal }) =>
      evaluatorJson<Page<DatasetEvaluator>>(
        "GET",
        withQuery(datasetEvaluatorsPath(datasetId), { cursor, limit }),
        undefined,
        signal,
      ),
    placeholderData: keepPreviousData,
    retry: retryOutages,
  });
}
