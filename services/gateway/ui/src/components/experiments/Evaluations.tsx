// A run's evaluations: each a chip with its name, score and label; its explanation shows on
// hover and opens below the chip on a click.
import { formatScore } from "./scores";

export interface EvaluationView {
  id: string;
  name: string;
  score?: number | null;
  label?: string | null;
  explanation?: string | null;
  error?: string | null;
}

export function Evaluations({ evaluations }: { evaluations: readonly EvaluationView[] }) {
  if (evaluations.length === 0) return <span className="muted">–</span>;
  return (
    <ul className="evaluations" aria-label="Evaluations">
      {evaluations.map((evaluation) => {
        const value = evaluation.error
          ? "failed"
          : [
              evaluation.score != null ? formatScore(evaluation.score) : null,
              evaluation.label ?? null,
            ]
              .filter(Boolean)
              .join(" · ");
        const chip = (
          <>
            {evaluation.name} <b>{value}</b>
          </>
        );
        const detail = evaluation.error ?? evaluation.explanation;
        return (
          <li key={evaluation.id} className={evaluation.error ? "evaluation failed" : "evaluation"}>
            {detail ? (
              <details>
                <summary title={detail}>{chip}</summary>
                <p className="evaluation-explanation">{detail}</p>
              </details>
            ) : (
              <span>{chip}</span>
            )}
          </li>
        );
      })}
    </ul>
  );
}
