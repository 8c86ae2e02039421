// A rule's jobs, newest first: the audit trail of what it decided to score, where each evaluation
// is (waiting, queued, running, retrying, succeeded, failed, shed, dropped), why, after how many
// attempts, and a link to what it scores. The state filter is kept in the address
// (`?state=FAILED`); the first page is read again every few seconds, a later one is not.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link, useSearchParams } from "react-router";

import {
  FIGURES_REFRESH_MILLISECONDS,
  JOB_STATES,
  listRuleJobs,
  retryOutages,
  ruleKeys,
} from "../../api/evaluationRules";
import type { EvaluationJob, JobState } from "../../api/evaluationRules";
import { formatCost, formatCount, formatTime, shortId } from "../../lib/format";
import { usePager } from "../../lib/pager";
import { Pagination } from "../Pagination";
import { EmptyState, ErrorState, Loading } from "../States";
import { LiveStatus } from "../tables/LiveStatus";
import { jobTargetPath } from "./rulePaths";

/** Jobs per page of a rule's audit trail. */
const JOBS_PER_PAGE = 50;

function isJobState(value: string | null): value is JobState {
  return JOB_STATES.some((state) => state === value);
}

function JobRow({ job, projectName }: { job: EvaluationJob; projectName: string }) {
  return (
    <tr data-testid="job-row" data-state={job.state}>
      <td>
        <span className={`job-state job-state-${job.state.toLowerCase()}`}>
          {job.state.toLowerCase()}
        </span>
      </td>
      <td>
        {job.target_kind.toLowerCase()}{" "}
        <Link to={jobTargetPath(projectName, job)} className="mono" title={job.target_id}>
          {shortId(job.target_id, 16)}
        </Link>
      </td>
      <td className="job-reason" data-testid="job-reason">
        {job.reason ?? ""}
      </td>
      <td className="numeric">{job.attempts}</td>
      <td className="numeric">{job.rule_version ?? "–"}</td>
      <td className="numeric">{job.tokens == null ? "–" : formatCount(job.tokens)}</td>
      <td className="numeric">{formatCost(job.cost)}</td>
      <td>{formatTime(job.created_at)}</td>
      <td>{formatTime(job.finished_at ?? job.updated_at)}</td>
    </tr>
  );
}

export function RuleJobs({ ruleId, projectName }: { ruleId: string; projectName: string }) {
  const [searchParams, setSearchParams] = useSearchParams();
  const raw = searchParams.get("state");
  const state = isJobState(raw) ? raw : null;
  const pager = usePager(`${ruleId}|${state ?? ""}`);
  const live = pager.pageIndex === 0;
  const jobs = useQuery({
    queryKey: ruleKeys.jobs(ruleId, state, pager.after),
    queryFn: ({ signal }) =>
      listRuleJobs(ruleId, { state, cursor: pager.after, limit: JOBS_PER_PAGE }, signal),
    refetchInterval: live ? FIGURES_REFRESH_MILLISECONDS : false,
    placeholderData: keepPreviousData,
    retry: retryOutages,
  });
  const chooseState = (next: string) =>
    setSearchParams(
      (previous) => {
        const params = new URLSearchParams(previous);
        if (next) params.set("state", next);
        else params.delete("state");
        return params;
      },
      { replace: true },
    );

  let body;
  if (jobs.error && !jobs.data) body = <ErrorState error={jobs.error} />;
  else if (!jobs.data) body = <Loading label="Loading the jobs…" />;
  else if (jobs.data.data.length === 0 && pager.pageIndex === 0) {
    body = (
      <EmptyState title={state ? `No ${state.toLowerCase()} job` : "No job yet"}>
        {state
          ? "Choose another state, or all of them."
          : "Jobs appear when the rule matches and samples a span stored after it was created."}
      </EmptyState>
    );
  } else {
    body = (
      <>
        <div className="panel span-table-panel">
          <table className="data" data-testid="rule-jobs">
            <thead>
              <tr>
                <th>State</th>
                <th>Target</th>
                <th>Reason</th>
                <th className="numeric">Attempts</th>
                <th className="numeric">Version</th>
                <th className="numeric">Tokens</th>
                <th className="numeric">Cost</th>
                <th>Created</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {jobs.data.data.map((job) => (
                <JobRow key={job.id} job={job} projectName={projectName} />
              ))}
            </tbody>
          </table>
        </div>
        <Pagination
          pager={pager}
          hasNextPage={jobs.data.next_cursor != null}
          endCursor={jobs.data.next_cursor}
        />
      </>
    );
  }
  return (
    <section aria-labelledby="rule-jobs-heading">
      <div className="rule-jobs-toolbar">
        <h2 id="rule-jobs-heading">Jobs</h2>
        <LiveStatus
          noun="jobs"
          updating={jobs.isPlaceholderData}
          pageIndex={pager.pageIndex}
          live={live}
        />
        <label className="inline-field">
          State
          <select
            aria-label="Job state"
            value={state ?? ""}
            onChange={(event) => chooseState(event.target.value)}
          >
            <option value="">All</option>
            {JOB_STATES.map((option) => (
              <option key={option} value={option}>
                {option.toLowerCase()}
              </option>
            ))}
          </select>
        </label>
      </div>
      {body}
    </section>
  );
}
