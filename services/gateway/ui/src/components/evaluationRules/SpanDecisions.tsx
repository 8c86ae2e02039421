// The span's Evaluations tab: for each online evaluation rule of its project, why the span has,
// or has not, a score from it (`GET /v1/projects/<p>/spans/<id>/evaluations`): scored (with the
// score the rule wrote, read from the span's, trace's or session's annotations), failed,
// waiting or retrying with the reason, dropped, not matched, sampled out (the draw against the
// rate), paused. Read again every few seconds while a decision is still on its way.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";

import {
  explainSpanEvaluations,
  FIGURES_REFRESH_MILLISECONDS,
  retryOutages,
  ruleKeys,
} from "../../api/evaluationRules";
import type { SpanRuleDecision } from "../../api/evaluationRules";
import { useGraphQL } from "../../api/hooks";
import { graphql } from "../../gql";
import type { SpanEvaluationTargetsQuery } from "../../gql/graphql";
import { CanWrite } from "../auth/viewer";
import { EmptyState, ErrorState, Loading } from "../States";
import { decisionVerdict, ruleAnnotation, samplingLabel, scoreText } from "./decisions";
import { newRulePath, rulePath } from "./rulePaths";
import { formatRate } from "./ruleFigures";
import "./evaluationRules.css";

const SpanEvaluationTargetsQuery = graphql(`
  query SpanEvaluationTargets($spanId: ID!) {
    span(spanId: $spanId) {
      id
      annotations {
        ...RuleAnnotationFields
      }
      trace {
        id
        project {
          name
        }
        annotations {
          ...RuleAnnotationFields
        }
        session {
          id
          annotations {
            ...RuleAnnotationFields
          }
        }
      }
    }
  }

  fragment RuleAnnotationFields on Annotation {
    id
    name
    label
    score
    explanation
    identifier
  }
`);

/** Decisions that will change by themselves: the tab polls while one is shown. */
const UNSETTLED = new Set(["pending", "queued", "running", "retrying", "not_decided"]);

type Targets = NonNullable<SpanEvaluationTargetsQuery["span"]>;

/** The annotations of the target a decision is about. */
function targetAnnotations(span: Targets, decision: SpanRuleDecision) {
  if (decision.target_kind === "TRACE") return span.trace.annotations;
  if (decision.target_kind === "SESSION") return span.trace.session?.annotations ?? [];
  return span.annotations;
}

function DecisionRow({
  decision,
  span,
  projectName,
}: {
  decision: SpanRuleDecision;
  span: Targets;
  projectName: string;
}) {
  const { rule } = decision;
  const verdict = decisionVerdict(decision.decision);
  const annotation =
    decision.decision === "scored"
      ? ruleAnnotation(targetAnnotations(span, decision), rule.id, rule.annotation_name)
      : null;
  const sampling = samplingLabel(decision);
  return (
    <li
      className={`decision decision-${verdict.tone}`}
      data-testid="span-decision"
      data-decision={decision.decision}
      data-rule={rule.name}
    >
      <div className="decision-heading">
        <span className={`decision-verdict tone-${verdict.tone}`} data-testid="decision-verdict">
          {verdict.label}
        </span>
        <Link to={rulePath(projectName, rule.id)} className="decision-rule">
          {rule.name}
        </Link>
        <span className="muted">
          {rule.evaluator.name} on {decision.target_kind.toLowerCase()}s,{" "}
          {formatRate(rule.sampling_rate)} sampled
          {rule.status === "PAUSED" ? " · paused" : ""}
        </span>
      </div>
      {annotation ? (
        <div className="decision-score" data-testid="decision-score">
          <strong>
            {rule.annotation_name}: {scoreText(annotation)}
          </strong>
          {annotation.explanation ? (
            <span className="muted"> — {annotation.explanation}</span>
          ) : null}
        </div>
      ) : null}
      <div className="decision-reason" data-testid="decision-reason">
        {decision.reason}
      </div>
      <div className="decision-facts muted">
        {sampling ? <span data-testid="decision-sampling">{sampling}</span> : null}
        {decision.job ? (
          <span>
            job {decision.job.state.toLowerCase()}, {decision.job.attempts} attempt
            {decision.job.attempts === 1 ? "" : "s"}
          </span>
        ) : null}
        {decision.earlier_jobs.length > 0 ? (
          <span>
            earlier versions:{" "}
            {decision.earlier_jobs
              .map((job) => `v${job.rule_version ?? "?"} ${job.state.toLowerCase()}`)
              .join(", ")}
          </span>
        ) : null}
      </div>
    </li>
  );
}

/** Whether a decision says "scored" while the target's annotations, as last read, lack the
 * score (written after they were read). */
function scoreMissing(span: Targets | null | undefined, decisions: readonly SpanRuleDecision[]) {
  if (!span) return false;
  return decisions.some(
    (decision) =>
      decision.decision === "scored" &&
      ruleAnnotation(
        targetAnnotations(span, decision),
        decision.rule.id,
        decision.rule.annotation_name,
      ) == null,
  );
}

/** Why span `spanId` has, or has not, a score from each rule of its project. */
export function SpanDecisions({ spanId }: { spanId: string }) {
  const [annotationsStale, setAnnotationsStale] = useState(false);
  const targets = useGraphQL(
    SpanEvaluationTargetsQuery,
    { spanId },
    { refetchInterval: annotationsStale ? FIGURES_REFRESH_MILLISECONDS : false },
  );
  const span = targets.data?.span;
  const projectName = span?.trace.project.name ?? "";
  const decisions = useQuery({
    queryKey: ruleKeys.span(projectName, spanId),
    queryFn: ({ signal }) => explainSpanEvaluations(projectName, spanId, signal),
    enabled: projectName !== "",
    retry: retryOutages,
    refetchInterval: (query) =>
      query.state.data?.rules.some((rule) => UNSETTLED.has(rule.decision))
        ? FIGURES_REFRESH_MILLISECONDS
        : false,
  });
  const missing = scoreMissing(span, decisions.data?.rules ?? []);
  if (missing !== annotationsStale) setAnnotationsStale(missing);

  if (targets.error) return <ErrorState error={targets.error} />;
  if (targets.isPending) return <Loading label="Loading the span…" />;
  if (!span) return <EmptyState title={`No span with id ${spanId}`} />;
  if (decisions.error) return <ErrorState error={decisions.error} />;
  if (!decisions.data) return <Loading label="Reading the rules' decisions…" />;
  if (decisions.data.rules.length === 0) {
    return (
      <EmptyState title="This project has no online evaluation rules">
        <CanWrite fallback="A member or an admin can create a rule">
          <Link to={newRulePath(projectName)}>Create a rule</Link>
        </CanWrite>{" "}
        to score its spans, traces or sessions as they arrive.
      </EmptyState>
    );
  }
  return (
    <ul className="decisions" data-testid="span-decisions">
      {decisions.data.rules.map((decision) => (
        <DecisionRow
          key={decision.rule.id}
          decision={decision}
          span={span}
          projectName={projectName}
        />
      ))}
    </ul>
  );
}
