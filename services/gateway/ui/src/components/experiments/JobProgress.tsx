// A server-side experiment's job as it runs: its status (and why it paused), runs done, failed
// and expected, tokens, cost and time left, read through `Experiment.job` every second while it
// runs; Cancel and Resume call `/v1/experiment_jobs/<id>/cancel` and `.../resume`.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";

import { useGraphQL } from "../../api/hooks";
import { restJson } from "../../api/rest";
import { graphql } from "../../gql";
import type { ExperimentJobStatus } from "../../gql/graphql";
import { formatCost, formatCount } from "../../lib/format";
import { useCan } from "../auth/viewer";
import { ErrorState } from "../States";
import { experimentPath } from "./experimentPaths";
import "./jobs.css";

const POLL_MS = 1000;

const ExperimentJobQuery = graphql(`
  query ExperimentJob($id: ID!) {
    experiment(id: $id) {
      id
      name
      datasetId
      job {
        id
        status
        statusReason
        modelProvider
        modelName
        progress {
          total
          succeeded
          failed
          done
          promptTokens
          completionTokens
          costUsd
          runsPerSecond
          etaSeconds
        }
      }
    }
  }
`);

/** 45 s, 3 min, 1.5 h. */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds == null) return "–";
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.ceil(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

const STATUS_TEXT: Record<ExperimentJobStatus, string> = {
  RUNNING: "Running",
  PAUSED: "Paused",
  CANCELLED: "Cancelled",
  COMPLETED: "Completed",
};

/** A job's status as a badge. */
export function JobStatus({ status }: { status: ExperimentJobStatus }) {
  return (
    <span className={`job-status job-${status.toLowerCase()}`} data-testid="job-status">
      {STATUS_TEXT[status]}
    </span>
  );
}

/** Cancel a running or paused job; resume a paused or cancelled one, or a completed one with
 * failed runs (resuming runs what is missing or failed). */
export function JobActions({
  jobId,
  status,
  failed,
}: {
  jobId: string;
  status: ExperimentJobStatus;
  failed: number;
}) {
  const queryClient = useQueryClient();
  const act = useMutation({
    mutationFn: (action: "cancel" | "resume") =>
      restJson("POST", `/v1/experiment_jobs/${encodeURIComponent(jobId)}/${action}`),
    onSuccess: () => queryClient.invalidateQueries(),
  });
  const canWrite = useCan("write");
  if (!canWrite) return null;
  const stoppable = status === "RUNNING" || status === "PAUSED";
  const resumable = status === "PAUSED" || status === "CANCELLED" || failed > 0;
  return (
    <span className="job-actions">
      {stoppable ? (
        <button type="button" disabled={act.isPending} onClick={() => act.mutate("cancel")}>
          Cancel
        </button>
      ) : null}
      {status !== "RUNNING" && resumable ? (
        <button type="button" disabled={act.isPending} onClick={() => act.mutate("resume")}>
          Resume
        </button>
      ) : null}
      {act.error ? (
        <span className="form-problem" role="alert">
          {act.error.message}
        </span>
      ) : null}
    </span>
  );
}

/** The job of experiment `experimentId`, followed live until it stops. */
export function JobProgress({ experimentId }: { experimentId: string }) {
  const { data, error } = useGraphQL(
    ExperimentJobQuery,
    { id: experimentId },
    {
      refetchInterval: POLL_MS,
      pollUntil: (answer) => answer.experiment?.job?.status !== "RUNNING",
    },
  );
  if (error && !data) return <ErrorState error={error} />;
  const experiment = data?.experiment;
  const job = experiment?.job;
  if (!experiment || !job) return <p className="muted">Starting the experiment…</p>;
  const { progress } = job;
  return (
    <div className="job-progress" data-testid="job-progress">
      <div className="job-progress-title">
        <JobStatus status={job.status} />
        <Link to={experimentPath(experiment.datasetId, experiment.id)}>{experiment.name}</Link>
        <span className="muted">
          {job.modelProvider} / {job.modelName}
        </span>
        <JobActions jobId={job.id} status={job.status} failed={progress.failed} />
      </div>
      {job.statusReason ? <p className="muted">{job.statusReason}</p> : null}
      <progress
        value={progress.done}
        max={Math.max(progress.total, 1)}
        aria-label="Runs done"
      />
      <dl className="job-figures">
        <dt>Runs</dt>
        <dd data-testid="job-runs">
          {formatCount(progress.done)} / {formatCount(progress.total)}
        </dd>
        <dt>Failed</dt>
        <dd data-testid="job-failed" className={progress.failed ? "error-text" : undefined}>
          {formatCount(progress.failed)}
        </dd>
        <dt>Tokens</dt>
        <dd data-testid="job-tokens">
          {formatCount(progress.promptTokens + progress.completionTokens)} (
          {formatCount(progress.promptTokens)} prompt, {formatCount(progress.completionTokens)}{" "}
          completion)
        </dd>
        <dt>Cost</dt>
        <dd data-testid="job-cost">{formatCost(progress.costUsd)}</dd>
        <dt>Left</dt>
        <dd data-testid="job-eta">
          {job.status === "RUNNING"
            ? `${formatEta(progress.etaSeconds)} at ${progress.runsPerSecond.toFixed(1)} runs/s`
            : "–"}
        </dd>
      </dl>
    </div>
  );
}
