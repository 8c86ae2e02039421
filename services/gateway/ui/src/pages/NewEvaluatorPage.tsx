// `/evaluators/new`: the form for a new evaluator, tried with the Test panel before it is saved;
// saved, it opens at its own page.
import { useState } from "react";
import { Link, useNavigate } from "react-router";

import { RequirePermission } from "../components/auth/viewer";
import { newDraft } from "../components/evaluators/definitionDraft";
import { EvaluatorForm } from "../components/evaluators/EvaluatorForm";
import { EVALUATORS_PATH, evaluatorPath } from "../components/evaluators/evaluatorPaths";
import "../components/datasets/datasets.css";
import "../components/prompts/prompts.css";
import "../components/playground/playground.css";
import "../components/evaluators/evaluators.css";

export default function NewEvaluatorPage() {
  const navigate = useNavigate();
  const [initialDraft] = useState(() => newDraft());
  return (
    <div className="evaluator-page">
      <div className="project-header">
        <div className="project-title">
          <Link to={EVALUATORS_PATH}>Evaluators</Link> / <h1>New evaluator</h1>
        </div>
      </div>
      <RequirePermission permission="write" what="Making an evaluator">
        <EvaluatorForm
          target={{}}
          initialDraft={initialDraft}
          onSaved={(evaluatorId) => navigate(evaluatorPath(evaluatorId))}
          onCancel={() => void navigate(EVALUATORS_PATH)}
        />
      </RequirePermission>
    </div>
  );
}
