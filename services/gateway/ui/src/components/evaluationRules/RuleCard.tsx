// One online evaluation rule as its project's page shows it: its status (a paused rule says
// why, prominently: a user's reason, or the worker's when a credential was rejected or the
// provider kept failing), what it does, its live figures, and what can be done to it (pause
// with a reason, resume, change, delete).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";
import { Link } from "react-router";

import { deleteRule, pauseRule, resumeRule, ruleKeys } from "../../api/evaluationRules";
import type { EvaluationRule, RuleFigures } from "../../api/evaluationRules";
import { formatCount, formatTime } from "../../lib/format";
import { useCan } from "../auth/viewer";
import { editRulePath, rulePath } from "./rulePaths";
import {
  describeEvaluator,
  describeTarget,
  formatAge,
  formatRate,
  oldestQueuedLabel,
  reasonsLabel,
  spendLines,
} from "./ruleFigures";

export function RuleStatusBadge({ status }: { status: EvaluationRule["status"] }) {
  return (
    <span className={`rule-status rule-status-${status.toLowerCase()}`} data-testid="rule-status">
      {status === "ACTIVE" ? "Active" : "Paused"}
    </span>
  );
}

type Tone = "warning" | "error" | undefined;

function Figure({
  id,
  label,
  value,
  tone,
  title,
}: {
  id: string;
  label: string;
  value: string;
  tone?: Tone;
  title?: string;
}) {
  return (
    <div
      className={`rule-figure${tone ? ` figure-${tone}` : ""}`}
      data-testid={`figure-${id}`}
      title={title}
    >
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

/** The rule's figures: the dispatcher's counts over the last day, its jobs now by state, the
 * age of the oldest queued job, and today's spend against the caps. */
export function RuleFiguresView({ figures }: { figures: RuleFigures }) {
  const { jobs } = figures;
  const windowLabel = formatAge(figures.window_seconds);
  const retrying = reasonsLabel(figures.retrying_reasons);
  const failed = reasonsLabel(figures.failure_reasons);
  return (
    <>
      <dl className="rule-figures" data-testid="rule-figures">
        <Figure
          id="matched"
          label={`Matched (${windowLabel})`}
          value={formatCount(figures.matched)}
          title="Spans the filter matched"
        />
        <Figure
          id="sampled-out"
          label={`Sampled out (${windowLabel})`}
          value={formatCount(figures.sampled_out)}
          title="Matched spans whose trace (or session) the sampling rate left out"
        />
        <Figure
          id="shed"
          label={`Shed (${windowLabel})`}
          value={formatCount(figures.shed)}
          tone={figures.shed > 0 ? "warning" : undefined}
          title="Targets not scored because the rule was over its daily cap"
        />
        <Figure id="pending" label="Waiting" value={formatCount(jobs.pending)} />
        <Figure id="queued" label="Queued" value={formatCount(jobs.queued)} />
        <Figure id="running" label="Running" value={formatCount(jobs.running)} />
        <Figure
          id="retrying"
          label="Retrying"
          value={formatCount(jobs.retrying)}
          tone={jobs.retrying > 0 ? "warning" : undefined}
        />
        <Figure id="succeeded" label="Succeeded" value={formatCount(jobs.succeeded)} />
        <Figure
          id="failed"
          label="Failed"
          value={formatCount(jobs.failed)}
          tone={jobs.failed > 0 ? "error" : undefined}
        />
        <Figure id="dropped" label="Dropped" value={formatCount(jobs.dropped)} />
        <Figure
          id="oldest-queued"
          label="Oldest queued"
          value={oldestQueuedLabel(figures.oldest_queued_seconds)}
        />
        {spendLines(figures.spend).map((line) => (
          <Figure
            key={line.label}
            id={line.label === "Tokens today" ? "tokens-today" : "cost-today"}
            label={line.label}
            value={line.text}
            tone={line.atCap ? "warning" : undefined}
          />
        ))}
      </dl>
      {retrying ? (
        <p className="rule-figure-reasons reasons-warning" data-testid="retrying-reasons">
          Retrying: {retrying}
        </p>
      ) : null}
      {failed ? (
        <p className="rule-figure-reasons reasons-error" data-testid="failure-reasons">
          Failed ({windowLabel}): {failed}
        </p>
      ) : null}
    </>
  );
}

/** Pause (with an optional reason), resume and delete. */
export function RuleActions({
  rule,
  onDeleted,
}: {
  rule: EvaluationRule;
  /** Called once the rule is deleted (the rule's own page leaves). */
  onDeleted?: () => void;
}) {
  const queryClient = useQueryClient();
  const [pausing, setPausing] = useState(false);
  const [reason, setReason] = useState("");
  const settled = () => queryClient.invalidateQueries({ queryKey: ruleKeys.all });
  const act = useMutation({
    mutationFn: async (action: "pause" | "resume" | "delete") => {
      if (action === "pause") await pauseRule(rule.id, reason);
      else if (action === "resume") await resumeRule(rule.id);
      else await deleteRule(rule.id);
      return action;
    },
    onSuccess: async (action) => {
      setPausing(false);
      setReason("");
      if (action === "delete") onDeleted?.();
      await settled();
    },
  });
  const canWrite = useCan("write");
  if (!canWrite) return null;
  const submitPause = (event: FormEvent) => {
    event.preventDefault();
    act.mutate("pause");
  };
  return (
    <div className="rule-actions">
      {rule.status === "ACTIVE" && pausing ? (
        <form className="rule-actions" onSubmit={submitPause} aria-label={`Pause ${rule.name}`}>
          <input
            type="text"
            value={reason}
            placeholder="Why (optional)"
            aria-label="Reason for pausing"
            onChange={(event) => setReason(event.target.value)}
            autoFocus
          />
          <button type="submit" className="primary" disabled={act.isPending}>
            Pause rule
          </button>
          <button type="button" onClick={() => setPausing(false)}>
            Cancel
          </button>
        </form>
      ) : rule.status === "ACTIVE" ? (
        <button type="button" onClick={() => setPausing(true)}>
          Pause
        </button>
      ) : (
        <button type="button" disabled={act.isPending} onClick={() => act.mutate("resume")}>
          Resume
        </button>
      )}
      <Link className="button" to={editRulePath(rule.project_name, rule.id)}>
        Edit
      </Link>
      <button
        type="button"
        disabled={act.isPending}
        onClick={() => {
          if (window.confirm(`Delete the rule “${rule.name}” with its jobs? Its scores stay.`)) {
            act.mutate("delete");
          }
        }}
      >
        Delete
      </button>
      {act.error ? (
        <span className="form-problem" role="alert">
          {act.error.message}
        </span>
      ) : null}
    </div>
  );
}

/** What the rule does, in a definition list. */
export function RuleSettingsView({ rule }: { rule: EvaluationRule }) {
  const mapping = Object.entries(rule.input_mapping);
  return (
    <dl className="rule-settings" data-testid="rule-settings">
      <dt>Scores</dt>
      <dd data-testid="rule-target">{describeTarget(rule.target, rule.quiet_seconds)}</dd>
      <dt>Filter</dt>
      <dd data-testid="rule-filter">
        {rule.filter ? <code>{rule.filter}</code> : <span className="muted">every span</span>}
      </dd>
      <dt>Sampling</dt>
      <dd data-testid="rule-sampling">
        {formatRate(rule.sampling_rate)} of {rule.target === "SESSION" ? "sessions" : "traces"}
      </dd>
      <dt>Evaluator</dt>
      <dd data-testid="rule-evaluator">{describeEvaluator(rule)}</dd>
      <dt>Annotation</dt>
      <dd>
        <code>{rule.annotation_name}</code>
      </dd>
      {rule.delay_seconds > 0 ? (
        <>
          <dt>Delay</dt>
          <dd>{formatAge(rule.delay_seconds)}</dd>
        </>
      ) : null}
      {mapping.length > 0 ? (
        <>
          <dt>Inputs</dt>
          <dd>
            {mapping.map(([input, path]) => (
              <code key={input} className="chip">
                {input} ← {path}
              </code>
            ))}
          </dd>
        </>
      ) : null}
      <dt>Version</dt>
      <dd data-testid="rule-version">
        {rule.version}, changed {formatTime(rule.updated_at)}
      </dd>
    </dl>
  );
}

/** A rule's card; `linked` makes its name lead to the rule's page. */
export function RuleCard({
  rule,
  linked = true,
  onDeleted,
}: {
  rule: EvaluationRule;
  linked?: boolean;
  onDeleted?: () => void;
}) {
  const paused = rule.status === "PAUSED";
  return (
    <article
      className={`panel rule-card${paused ? " rule-paused" : ""}`}
      data-testid="rule-card"
      data-rule-name={rule.name}
      aria-label={rule.name}
    >
      <header className="rule-card-header">
        <h2>
          {linked ? <Link to={rulePath(rule.project_name, rule.id)}>{rule.name}</Link> : rule.name}
        </h2>
        <RuleStatusBadge status={rule.status} />
        <RuleActions rule={rule} onDeleted={onDeleted} />
      </header>
      {paused ? (
        <p className="rule-paused-reason" role="status" data-testid="rule-status-reason">
          Paused: {rule.status_reason ?? "no reason given"}
        </p>
      ) : null}
      <RuleSettingsView rule={rule} />
      <RuleFiguresView figures={rule.figures} />
    </article>
  );
}
