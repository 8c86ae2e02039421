// `/projects/<name>/config`: how long the project keeps its traces. It shows the retention policy
// the project follows (its own, or the default one) beside how much the project stores, so that a
// user sees what a policy will remove; the project can switch policy, and the policy it follows
// can be edited (days, count, schedule). Writes are GraphQL mutations; the server checks every
// value and its refusal, naming the field, is shown under the form.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";
import { useParams } from "react-router";

import { request } from "../api/graphql";
import { useGraphQL } from "../api/hooks";
import { CanWrite } from "../components/auth/viewer";
import { ProjectHeader } from "../components/Layout";
import { MissingProject } from "../components/projects/MissingProject";
import { describeRule, formatBytes, parseLimit } from "../components/retention/retention";
import { ErrorState, Loading } from "../components/States";
import { graphql } from "../gql";
import { formatCount, formatTime } from "../lib/format";
import "../components/retention/retention.css";

const ProjectRetentionQuery = graphql(`
  query ProjectRetention($name: String!) {
    project(name: $name) {
      id
      usesDefaultRetentionPolicy
      traceRetentionPolicy {
        id
        name
        cronExpression
        maxDays
        maxCount
        isDefault
        nextRunAt
        lastRunAt
      }
      dataVolume {
        traceCount
        spanCount
        oldestStartTime
        newestStartTime
        approximateBytes
      }
    }
    projectTraceRetentionPolicies {
      id
      name
      maxDays
      maxCount
      isDefault
    }
  }
`);

const SetProjectPolicyMutation = graphql(`
  mutation SetProjectPolicy($projectId: ID!, $policyId: ID) {
    setProjectTraceRetentionPolicy(projectId: $projectId, policyId: $policyId) {
      id
    }
  }
`);

const PatchPolicyMutation = graphql(`
  mutation PatchPolicy($input: PatchProjectTraceRetentionPolicyInput!) {
    patchProjectTraceRetentionPolicy(input: $input) {
      id
    }
  }
`);

interface PolicyFields {
  id: string;
  name: string;
  cronExpression: string;
  maxDays?: number | null;
  maxCount?: number | null;
  isDefault: boolean;
}

function PolicyForm({ policy, onSaved }: { policy: PolicyFields; onSaved: () => void }) {
  const [days, setDays] = useState(policy.maxDays ? String(policy.maxDays) : "");
  const [count, setCount] = useState(policy.maxCount ? String(policy.maxCount) : "");
  const [schedule, setSchedule] = useState(policy.cronExpression);
  const [problem, setProblem] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (input: {
      id: string;
      maxDays: number | null;
      maxCount: number | null;
      cronExpression: string;
    }) => request(PatchPolicyMutation, { input }),
    onSuccess: () => {
      setProblem(null);
      onSaved();
    },
    onError: (error: Error) => setProblem(error.message),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const maxDays = parseLimit(days, "Days");
    const maxCount = parseLimit(count, "Traces");
    if (typeof maxDays === "string" || typeof maxCount === "string") {
      setProblem(typeof maxDays === "string" ? maxDays : (maxCount as string));
      return;
    }
    save.mutate({ id: policy.id, maxDays, maxCount, cronExpression: schedule.trim() });
  }

  return (
    <form className="retention-form" onSubmit={submit} aria-label="Edit policy">
      <label>
        Keep traces for at most (days)
        <input
          name="maxDays"
          inputMode="numeric"
          value={days}
          placeholder="no limit"
          onChange={(event) => setDays(event.target.value)}
        />
      </label>
      <label>
        Keep at most (newest traces)
        <input
          name="maxCount"
          inputMode="numeric"
          value={count}
          placeholder="no limit"
          onChange={(event) => setCount(event.target.value)}
        />
      </label>
      <label>
        Schedule (cron, UTC)
        <input
          name="cronExpression"
          value={schedule}
          onChange={(event) => setSchedule(event.target.value)}
        />
      </label>
      <button type="submit" disabled={save.isPending}>
        {save.isPending ? "Saving…" : `Save “${policy.name}”`}
      </button>
      {policy.isDefault ? (
        <p className="retention-note">
          This is the default policy: projects without a policy of their own follow it too.
        </p>
      ) : null}
      {problem ? (
        <p className="retention-problem" role="alert">
          {problem}
        </p>
      ) : null}
    </form>
  );
}

export default function ProjectConfigPage() {
  const { projectName = "" } = useParams();
  const queryClient = useQueryClient();
  const retention = useGraphQL(ProjectRetentionQuery, { name: projectName });
  const choose = useMutation({
    mutationFn: (variables: { projectId: string; policyId: string | null }) =>
      request(SetProjectPolicyMutation, variables),
    onSuccess: () => queryClient.invalidateQueries(),
  });

  if (retention.isPending) return <Loading />;
  if (retention.error) return <ErrorState error={retention.error} />;
  const project = retention.data.project;
  if (!project) return <MissingProject name={projectName} />;
  const policy = project.traceRetentionPolicy;
  const volume = project.dataVolume;
  const policies = retention.data.projectTraceRetentionPolicies;

  return (
    <div className="page">
      <ProjectHeader />
      <section className="panel retention-section" aria-labelledby="volume-heading">
        <h2 id="volume-heading">Data volume</h2>
        <dl className="retention-figures" data-testid="data-volume">
          <dt>Traces</dt>
          <dd data-testid="trace-count">{formatCount(volume.traceCount)}</dd>
          <dt>Spans</dt>
          <dd data-testid="span-count">{formatCount(volume.spanCount)}</dd>
          <dt>Oldest trace</dt>
          <dd>{volume.oldestStartTime ? formatTime(volume.oldestStartTime) : "—"}</dd>
          <dt>Newest trace</dt>
          <dd>{volume.newestStartTime ? formatTime(volume.newestStartTime) : "—"}</dd>
          <dt>Size on disk (approximate)</dt>
          <dd>{formatBytes(volume.approximateBytes)}</dd>
        </dl>
      </section>
      <section className="panel retention-section" aria-labelledby="policy-heading">
        <h2 id="policy-heading">Retention policy</h2>
        <p data-testid="policy-summary">
          <strong>{policy.name}</strong>: {describeRule(policy)}. Applied on the schedule{" "}
          <code>{policy.cronExpression}</code>; next run {formatTime(policy.nextRunAt)}.
        </p>
        <CanWrite>
          <label className="retention-choice">
            Policy of this project
            <select
              aria-label="Policy of this project"
              value={project.usesDefaultRetentionPolicy ? "" : policy.id}
              disabled={choose.isPending}
              onChange={(event) =>
                choose.mutate({ projectId: project.id, policyId: event.target.value || null })
              }
            >
              {policies.map((option) => (
                <option key={option.id} value={option.isDefault ? "" : option.id}>
                  {option.name} — {describeRule(option)}
                </option>
              ))}
            </select>
          </label>
          {choose.error ? <ErrorState error={choose.error} /> : null}
          <PolicyForm
            key={`${policy.id}:${policy.maxDays}:${policy.maxCount}:${policy.cronExpression}`}
            policy={policy}
            onSaved={() => void queryClient.invalidateQueries()}
          />
        </CanWrite>
      </section>
    </div>
  );
}
