// Online evaluation rules over REST (the query API's `/v1/.../evaluation_rules`, Spyglass's own):
// a project's rules with their live figures, a dry run of a filter, creating, changing, pausing,
// resuming and deleting a rule, its jobs (the audit trail), why a span has or has not a score
// from each rule, and the evaluators a rule can run. The shapes are the API's, in its snake_case.
// A 422 keeps where each complaint was (`fields`), so a form shows it under the field it names.
import { useQuery } from "@tanstack/react-query";
import type { UseQueryResult } from "@tanstack/react-query";

import { reportUpstream } from "../lib/upstream";
import { UpstreamError } from "./graphql";
import { ApiError, apiErrorMessage, fieldProblems, jsonRequest, send } from "./rest";

export type RuleTarget = "SPAN" | "TRACE" | "SESSION";
export type RuleStatus = "ACTIVE" | "PAUSED";

export const JOB_STATES = [
  "PENDING",
  "QUEUED",
  "RUNNING",
  "RETRYING",
  "SUCCEEDED",
  "FAILED",
  "SHED",
  "DROPPED",
] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface RuleEvaluator {
  id: string;
  name: string;
  kind: string;
}

/** Jobs by state (lower-case keys, as the API names them). */
export interface JobCounts {
  pending: number;
  queued: number;
  running: number;
  retrying: number;
  succeeded: number;
  failed: number;
  shed: number;
  dropped: number;
}

export interface ReasonCount {
  reason: string;
  jobs: number;
}

export interface RuleSpend {
  tokens_today: number;
  cost_today: number;
  max_tokens_per_day: number | null;
  max_cost_per_day: number | null;
}

export interface RuleFigures {
  /** The window of `matched`, `sampled_out`, `shed` and `failure_reasons` (a day). */
  window_seconds: number;
  matched: number;
  sampled_out: number;
  shed: number;
  jobs: JobCounts;
  current_version_jobs: JobCounts;
  oldest_queued_seconds: number | null;
  retrying_reasons: ReasonCount[];
  failure_reasons: ReasonCount[];
  spend: RuleSpend;
}

export interface DryRun {
  window_seconds: number;
  matched_spans: number;
  sampled_spans: number;
  /** What would have been scored: sampled spans, or distinct traces or sessions. */
  targets: number;
  without_session: number;
  truncated: boolean;
  oldest_span_time: string | null;
}

export interface EvaluationRule {
  id: string;
  project_id: string;
  project_name: string;
  name: string;
  annotation_name: string;
  evaluator: RuleEvaluator;
  /** Null: always the evaluator's latest version. */
  evaluator_version: number | null;
  filter: string;
  target: RuleTarget;
  sampling_rate: number;
  delay_seconds: number;
  quiet_seconds: number;
  input_mapping: Record<string, string>;
  max_tokens_per_day: number | null;
  max_cost_per_day: number | null;
  status: RuleStatus;
  status_reason: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  figures: RuleFigures;
  dry_run: DryRun | null;
}

/** What creating a rule takes; a change takes any part of it. */
export interface RuleSettings {
  name: string;
  annotation_name: string;
  /** The evaluator's GlobalID (or name). */
  evaluator: string;
  evaluator_version: number | null;
  filter: string;
  target: RuleTarget;
  sampling_rate: number;
  delay_seconds: number;
  quiet_seconds: number;
  input_mapping: Record<string, string>;
  max_tokens_per_day: number | null;
  max_cost_per_day: number | null;
}

export interface EvaluationJob {
  id: string;
  target_kind: RuleTarget;
  target_id: string;
  state: JobState;
  reason: string | null;
  attempts: number;
  rule_version: number | null;
  tokens: number | null;
  cost: number | null;
  due_at: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface Sampling {
  key_kind: "trace" | "session";
  key: string;
  /** The key's draw in [0, 1): sampled when below the rate. */
  draw: number;
  rate: number;
  sampled: boolean;
}

export interface SpanRuleDecision {
  rule: {
    id: string;
    name: string;
    annotation_name: string;
    evaluator: RuleEvaluator;
    target: RuleTarget;
    sampling_rate: number;
    status: RuleStatus;
    status_reason: string | null;
    version: number;
  };
  /** scored, pending, queued, running, retrying, failed, shed, dropped; filter_invalid,
   * not_matched, no_session, sampled_out, paused, not_decided. */
  decision: string;
  reason: string;
  target_kind: RuleTarget;
  target_id: string | null;
  matched: boolean | null;
  sampling: Sampling | null;
  job: EvaluationJob | null;
  earlier_jobs: EvaluationJob[];
}

export interface SpanEvaluations {
  span_id: string;
  trace_id: string;
  session_id: string | null;
  rules: SpanRuleDecision[];
}

/** An evaluator as a rule's form offers it. */
export interface EvaluatorChoice {
  id: string;
  name: string;
  kind: string;
  description: string | null;
  /** Its latest version's number. */
  version: number;
  profile: { inputs: string[] | null } | null;
}

interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** The API refused a request with 422; `fields` maps each field it named (dotted: `filter`,
 * `input_mapping.question`) to its complaint. */
export class FieldsError extends ApiError {
  readonly fields: Readonly<Record<string, string>>;

  constructor(message: string, status: number, fields: Record<string, string>) {
    super(message, status);
    this.name = "FieldsError";
    this.fields = fields;
  }
}

/** The complaints of a 422's `{"detail": [{"loc": ["body", "filter"], "msg": ...}]}` by field
 * (the location without `body`; the first complaint of each); empty for any other body. */
export function fieldErrorsOf(body: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const problem of fieldProblems(body)) {
    if (problem.field && !(problem.field in fields)) fields[problem.field] = problem.message;
  }
  return fields;
}

const UPSTREAM_STATUSES = new Set([502, 503, 504]);

/** Sends `body` with `method` to `path` and returns the answer's JSON (null for 204). A refusal
 * is an `ApiError` (a `FieldsError` when it names fields); a gateway that could not reach the
 * query API, an `UpstreamError`, also raised as the page's banner. */
async function call<T>(
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
  if (!response.ok) {
    const text = await response.text().catch(() => "");
    const message = apiErrorMessage(response.status, text);
    if (UPSTREAM_STATUSES.has(response.status)) {
      reportUpstream(message);
      throw new UpstreamError(message, response.status);
    }
    const fields = response.status === 422 ? fieldErrorsOf(text) : {};
    if (Object.keys(fields).length > 0) throw new FieldsError(message, response.status, fields);
    throw new ApiError(message, response.status);
  }
  reportUpstream(null);
  if (response.status === 204) return null as T;
  return (await response.json()) as T;
}

function projectPath(projectName: string): string {
  return `/v1/projects/${encodeURIComponent(projectName)}`;
}

function rulePath(ruleId: string): string {
  return `/v1/evaluation_rules/${encodeURIComponent(ruleId)}`;
}

/** The most rules (or evaluators) a project page reads at once: the API's largest page. */
const LIST_LIMIT = 1000;

export async function listRules(
  projectName: string,
  signal?: AbortSignal,
): Promise<EvaluationRule[]> {
  const page = await call<Page<EvaluationRule>>(
    "GET",
    `${projectPath(projectName)}/evaluation_rules?limit=${LIST_LIMIT}`,
    undefined,
    signal,
  );
  return page.data;
}

export async function getRule(ruleId: string, signal?: AbortSignal): Promise<EvaluationRule> {
  return (await call<{ data: EvaluationRule }>("GET", rulePath(ruleId), undefined, signal)).data;
}

/** Creates an active rule; the answer carries the dry run of its filter. */
export async function createRule(
  projectName: string,
  settings: RuleSettings,
): Promise<EvaluationRule> {
  const path = `${projectPath(projectName)}/evaluation_rules`;
  return (await call<{ data: EvaluationRule }>("POST", path, settings)).data;
}

/** Changes the settings given (a change to what the rule does makes a new version). */
export async function updateRule(
  ruleId: string,
  changes: Partial<RuleSettings>,
): Promise<EvaluationRule> {
  return (await call<{ data: EvaluationRule }>("PATCH", rulePath(ruleId), changes)).data;
}

export async function deleteRule(ruleId: string): Promise<void> {
  await call<null>("DELETE", rulePath(ruleId));
}

/** Pauses the rule; without a reason, it keeps the one it is paused with (else "paused by a
 * user"). */
export async function pauseRule(ruleId: string, reason?: string): Promise<EvaluationRule> {
  const body = reason?.trim() ? { reason: reason.trim() } : undefined;
  return (await call<{ data: EvaluationRule }>("POST", `${rulePath(ruleId)}/pause`, body)).data;
}

export async function resumeRule(
  ruleId: string,
): Promise<EvaluationRule & { resumed_jobs: number }> {
  const path = `${rulePath(ruleId)}/resume`;
  return (await call<{ data: EvaluationRule & { resumed_jobs: number } }>("POST", path)).data;
}

/** What a filter, target and rate would have done to the project's spans of the last hour. */
export async function dryRunRule(
  projectName: string,
  trial: { filter: string; target: RuleTarget; sampling_rate: number },
): Promise<DryRun> {
  const path = `${projectPath(projectName)}/evaluation_rules/dry_run`;
  return (await call<{ data: DryRun }>("POST", path, trial)).data;
}

/** A page of the rule's jobs (in `state`, if given), newest first. */
export async function listRuleJobs(
  ruleId: string,
  { state, cursor, limit }: { state?: JobState | null; cursor?: string; limit: number },
  signal?: AbortSignal,
): Promise<Page<EvaluationJob>> {
  const query = new URLSearchParams({ limit: String(limit) });
  if (state) query.set("state", state);
  if (cursor) query.set("cursor", cursor);
  return call<Page<EvaluationJob>>("GET", `${rulePath(ruleId)}/jobs?${query}`, undefined, signal);
}

/** Why span `spanId` of the project has, or has not, a score from each of its rules. */
export async function explainSpanEvaluations(
  projectName: string,
  spanId: string,
  signal?: AbortSignal,
): Promise<SpanEvaluations> {
  const path = `${projectPath(projectName)}/spans/${encodeURIComponent(spanId)}/evaluations`;
  return (await call<{ data: SpanEvaluations }>("GET", path, undefined, signal)).data;
}

/** The evaluators a rule can run, newest first. */
export async function listEvaluatorChoices(signal?: AbortSignal): Promise<EvaluatorChoice[]> {
  const path = `/v1/evaluators?limit=${LIST_LIMIT}`;
  return (await call<Page<EvaluatorChoice>>("GET", path, undefined, signal)).data;
}

// Reads, through React Query -------------------------------------------------------------------

/** How often a rule's figures are read again while its page is open. */
export const FIGURES_REFRESH_MILLISECONDS = 3_000;

/** A refusal (a missing rule, a bad state) fails again: only outages are retried. */
export const retryOutages = (failures: number, error: Error) =>
  !(error instanceof ApiError) && failures < 3;

export const ruleKeys = {
  all: ["evaluation-rules"] as const,
  project: (projectName: string) => ["evaluation-rules", "project", projectName] as const,
  rule: (ruleId: string) => ["evaluation-rules", "rule", ruleId] as const,
  jobs: (ruleId: string, state: JobState | null, cursor: string | undefined) =>
    ["evaluation-rules", "jobs", ruleId, state, cursor] as const,
  span: (projectName: string, spanId: string) =>
    ["evaluation-rules", "span", projectName, spanId] as const,
};

/** The project's rules with their figures, read again every few seconds. */
export function useProjectRules(projectName: string): UseQueryResult<EvaluationRule[], Error> {
  return useQuery({
    queryKey: ruleKeys.project(projectName),
    queryFn: ({ signal }) => listRules(projectName, signal),
    refetchInterval: FIGURES_REFRESH_MILLISECONDS,
    retry: retryOutages,
  });
}

/** One rule with its figures, read again every few seconds. */
export function useRule(
  ruleId: string,
  { live = true }: { live?: boolean } = {},
): UseQueryResult<EvaluationRule, Error> {
  return useQuery({
    queryKey: ruleKeys.rule(ruleId),
    queryFn: ({ signal }) => getRule(ruleId, signal),
    refetchInterval: live ? FIGURES_REFRESH_MILLISECONDS : false,
    retry: retryOutages,
  });
}

export function useEvaluatorChoices(): UseQueryResult<EvaluatorChoice[], Error> {
  return useQuery({
    queryKey: ["evaluation-rules", "evaluators"],
    queryFn: ({ signal }) => listEvaluatorChoices(signal),
    retry: retryOutages,
  });
}
