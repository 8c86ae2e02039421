// `/projects/<name>/evaluations/new` and `.../<rule id>/edit`: a rule's form (RuleForm); once
// saved, the rule's page, where its figures start to move.
import { useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router";

import { ruleKeys, useRule } from "../api/evaluationRules";
import type { EvaluationRule } from "../api/evaluationRules";
import { RequirePermission } from "../components/auth/viewer";
import { RuleForm } from "../components/evaluationRules/RuleForm";
import { rulePath, rulesPath } from "../components/evaluationRules/rulePaths";
import { ProjectHeader } from "../components/Layout";
import { ErrorState, Loading } from "../components/States";
import "../components/datasets/datasets.css";
import "../components/evaluationRules/evaluationRules.css";

function EditRule({
  ruleId,
  onSaved,
}: {
  ruleId: string;
  onSaved: (rule: EvaluationRule) => void;
}) {
  // Not polled: figures moving under the form would not change what it edits.
  const rule = useRule(ruleId, { live: false });
  if (rule.error) return <ErrorState error={rule.error} />;
  if (!rule.data) return <Loading label="Loading the rule…" />;
  return <RuleForm projectName={rule.data.project_name} rule={rule.data} onSaved={onSaved} />;
}

export default function EvaluationRuleFormPage() {
  const { projectName = "", ruleId } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const saved = (rule: EvaluationRule) => {
    void queryClient.invalidateQueries({ queryKey: ruleKeys.all });
    void navigate(rulePath(projectName, rule.id));
  };
  return (
    <div className="evaluation-rule-form-page">
      <ProjectHeader />
      <p>
        <Link to={rulesPath(projectName)}>← All rules</Link>
      </p>
      <RequirePermission permission="write" what={ruleId ? "Changing a rule" : "Creating a rule"}>
        {ruleId ? (
          <EditRule ruleId={ruleId} onSaved={saved} />
        ) : (
          <RuleForm projectName={projectName} onSaved={saved} />
        )}
      </RequirePermission>
    </div>
  );
}
