// How an evaluator's profile reads in tables: what it reads and what it gives.
import type { EvaluatorProfile } from "../../api/evaluators";

/** "output, expected"; code reads what its parameters name. */
export function readsText(profile: EvaluatorProfile | null): string {
  if (!profile) return "–";
  if (profile.inputs === null) return "what its parameters name";
  return profile.inputs.length ? profile.inputs.join(", ") : "nothing";
}

const DIRECTION_TEXT: Record<string, string> = {
  maximize: "higher is better",
  minimize: "lower is better",
  neutral: "neither is better",
};

/** "true 1 · false 0" (its labels and scores), or "a score (higher is better)". */
export function givesText(profile: EvaluatorProfile | null): string {
  if (!profile) return "–";
  const direction = DIRECTION_TEXT[profile.direction] ?? profile.direction;
  if (!profile.choices) return `a score or label (${direction})`;
  const labels = profile.choices
    .map((choice) => (choice.score === null ? choice.label : `${choice.label} ${choice.score}`))
    .join(" · ");
  return `${labels} (${direction})`;
}
