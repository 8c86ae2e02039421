// What a rule decided about a span, as the span's Evaluations tab shows it: a short verdict with
// its tone, the reason in the API's words, the sampling draw against the rate, and, for a scored
// target, the score the rule wrote (found among the target's annotations by the rule's
// annotation name and the identifier the worker writes, `rule-<row id>`).
import type { SpanRuleDecision } from "../../api/evaluationRules";

export type DecisionTone = "ok" | "error" | "waiting" | "warning" | "quiet";

const VERDICTS: Record<string, { label: string; tone: DecisionTone }> = {
  scored: { label: "Scored", tone: "ok" },
  failed: { label: "Failed", tone: "error" },
  pending: { label: "Waiting", tone: "waiting" },
  queued: { label: "Queued", tone: "waiting" },
  running: { label: "Running", tone: "waiting" },
  retrying: { label: "Retrying", tone: "warning" },
  shed: { label: "Shed (over its daily cap)", tone: "warning" },
  dropped: { label: "Dropped", tone: "quiet" },
  filter_invalid: { label: "Filter invalid", tone: "error" },
  not_matched: { label: "Not matched", tone: "quiet" },
  no_session: { label: "No session", tone: "quiet" },
  sampled_out: { label: "Sampled out", tone: "quiet" },
  paused: { label: "Paused", tone: "warning" },
  not_decided: { label: "Not decided", tone: "quiet" },
};

/** The verdict of a decision, in a word or two, and how it is coloured. */
export function decisionVerdict(decision: string): { label: string; tone: DecisionTone } {
  return VERDICTS[decision] ?? { label: decision.replaceAll("_", " "), tone: "quiet" };
}

/** "draw 0.734 ≥ rate 0.5": why the sampling kept the span's trace (or session) or not. */
export function samplingLabel(decision: SpanRuleDecision): string | null {
  const sampling = decision.sampling;
  if (!sampling) return null;
  const draw = sampling.draw.toFixed(3);
  const sign = sampling.sampled ? "<" : "≥";
  return `${sampling.key_kind} draw ${draw} ${sign} rate ${sampling.rate}`;
}

/** The row id inside a GlobalID (`base64("EvaluationRule:12")` -> "12"), or null. */
export function rowIdOf(globalId: string): string | null {
  try {
    const match = /^[A-Za-z]+:(\d+)$/.exec(atob(globalId));
    return match ? match[1] : null;
  } catch {
    return null;
  }
}

export interface AnnotationScore {
  name: string;
  label?: string | null;
  score?: number | null;
  explanation?: string | null;
  identifier: string;
}

/** The annotation rule `ruleId` wrote under `annotationName` among `annotations` (its own
 * identifier first; another of the same name if the identifier is not found). */
export function ruleAnnotation<T extends AnnotationScore>(
  annotations: readonly T[],
  ruleId: string,
  annotationName: string,
): T | null {
  const rowId = rowIdOf(ruleId);
  const named = annotations.filter((annotation) => annotation.name === annotationName);
  const own = rowId ? named.find((annotation) => annotation.identifier === `rule-${rowId}`) : null;
  return own ?? named[0] ?? null;
}

/** "0.75 (correct)", "1.00", "correct". */
export function scoreText(annotation: Pick<AnnotationScore, "label" | "score">): string {
  const score = annotation.score == null ? null : annotation.score.toFixed(2);
  if (score && annotation.label) return `${score} (${annotation.label})`;
  return score ?? annotation.label ?? "no score or label";
}
