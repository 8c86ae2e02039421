// `/projects/<name>/evaluations/<rule id>`: one rule with its live figures and its jobs, the
// audit trail of every evaluation it decided on (`?state=` filters them).
import { Link, useNavigate, useParams } from "react-router";

import { ApiError } from "../api/rest";
import { useRule } from "../api/evaluationRules";
import { RuleCard } from "../components/evaluationRules/RuleCard";
import { RuleJobs } from "../components/evaluationRules/RuleJobs";
import { rulesPath } from "../components/evaluationRules/rulePaths";
import { ProjectHeader } from "../components/Layout";
import { EmptyState, ErrorState, Loading } from "../components/States";
import "../components/datasets/datasets.css";
import "../components/evaluationRules/evaluationRules.css";

export default function EvaluationRulePage() {
  const { projectName = "", ruleId = "" } = useParams();
  const navigate = useNavigate();
  const rule = useRule(ruleId);

  let body;
  if (rule.error && !rule.data) {
    body =
      rule.error instanceof ApiError && rule.error.status === 404 ? (
        <EmptyState title="No such rule">
          It may have been deleted. <Link to={rulesPath(projectName)}>See the project's rules</Link>
          .
        </EmptyState>
      ) : (
        <ErrorState error={rule.error} />
      );
  } else if (!rule.data) body = <Loading label="Loading the rule…" />;
  else {
    body = (
      <>
        <RuleCard
          rule={rule.data}
          linked={false}
          onDeleted={() => void navigate(rulesPath(projectName), { replace: true })}
        />
        <RuleJobs ruleId={ruleId} projectName={projectName} />
      </>
    );
  }
  return (
    <div className="evaluation-rule-page">
      <ProjectHeader />
      <p>
        <Link to={rulesPath(projectName)}>← All rules</Link>
      </p>
      {body}
    </div>
  );
}
