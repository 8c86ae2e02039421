// The addresses of the online evaluation pages, under a project: `/projects/<name>/evaluations`
// (its rules), `.../new`, `.../<rule id>` (a rule and its jobs) and `.../<rule id>/edit`. Rule
// ids are the API's GlobalIDs (base64, which may end in `=`), encoded for a path segment.
import type { EvaluationJob } from "../../api/evaluationRules";

/** `/projects/<name>/evaluations`: the project's rules. */
export function rulesPath(projectName: string): string {
  return `/projects/${encodeURIComponent(projectName)}/evaluations`;
}

export function newRulePath(projectName: string): string {
  return `${rulesPath(projectName)}/new`;
}

/** A rule with its figures and jobs. */
export function rulePath(projectName: string, ruleId: string): string {
  return `${rulesPath(projectName)}/${encodeURIComponent(ruleId)}`;
}

export function editRulePath(projectName: string, ruleId: string): string {
  return `${rulePath(projectName, ruleId)}/edit`;
}

/** Where a job's target is shown: its span (in its trace), its trace, or its session. */
export function jobTargetPath(
  projectName: string,
  job: Pick<EvaluationJob, "target_kind" | "target_id">,
): string {
  const id = encodeURIComponent(job.target_id);
  if (job.target_kind === "SPAN") return `/spans/${id}`;
  if (job.target_kind === "TRACE") return `/traces/${id}`;
  return `/projects/${encodeURIComponent(projectName)}/sessions/${id}`;
}
