// `/projects/<name>/evaluations`: the project's online evaluation rules, each with its status
// (a paused rule says why), what it does, and its live figures, read again every few seconds;
// each can be paused, resumed, changed or deleted, and "New rule" creates one.
import { Link, useParams } from "react-router";

import { ApiError } from "../api/rest";
import { useProjectRules } from "../api/evaluationRules";
import { CanWrite } from "../components/auth/viewer";
import { RuleCard } from "../components/evaluationRules/RuleCard";
import { newRulePath } from "../components/evaluationRules/rulePaths";
import { ProjectHeader } from "../components/Layout";
import { MissingProject } from "../components/projects/MissingProject";
import { EmptyState, ErrorState, Loading } from "../components/States";
import "../components/datasets/datasets.css";
import "../components/evaluationRules/evaluationRules.css";

export default function EvaluationRulesPage() {
  const { projectName = "" } = useParams();
  const rules = useProjectRules(projectName);

  let body;
  if (rules.error && !rules.data) {
    body =
      rules.error instanceof ApiError && rules.error.status === 404 ? (
        <MissingProject name={projectName} />
      ) : (
        <ErrorState error={rules.error} />
      );
  } else if (!rules.data) body = <Loading label="Loading the rules…" />;
  else if (rules.data.length === 0) {
    body = (
      <EmptyState title="No online evaluation rules yet">
        A rule scores the project's spans, traces or sessions as they arrive, with an evaluator
        of the library.{" "}
        <CanWrite>
          <Link to={newRulePath(projectName)}>Create a rule</Link>.
        </CanWrite>
      </EmptyState>
    );
  } else {
    body = (
      <>
        <p className="rules-intro">
          Each rule scores what its filter matches and its rate samples, and stores the score as
          an annotation. Figures update every few seconds; matched, sampled out, shed and the
          failures' reasons cover the last 24 hours.
        </p>
        {rules.data.map((rule) => (
          <RuleCard key={rule.id} rule={rule} />
        ))}
      </>
    );
  }
  return (
    <div className="evaluation-rules-page">
      <ProjectHeader
        actions={
          <CanWrite>
            <Link className="button primary" to={newRulePath(projectName)}>
              New rule
            </Link>
          </CanWrite>
        }
      />
      {body}
    </div>
  );
}
