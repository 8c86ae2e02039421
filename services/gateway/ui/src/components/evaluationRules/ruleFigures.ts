// How a rule and its live figures read: its target and sampling as words, the age of its oldest
// queued job, today's spend against its caps, a dry run's result, and the rows of its figures.
import type {
  DryRun,
  EvaluationRule,
  ReasonCount,
  RuleSpend,
  RuleTarget,
} from "../../api/evaluationRules";
import { formatCost, formatCount } from "../../lib/format";

/** 45 s, 3 min, 1.5 h, 24 h, 2.5 d (hours up to two days). */
export function formatAge(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86_400) return `${Number((seconds / 3600).toFixed(1))} h`;
  return `${Number((seconds / 86_400).toFixed(1))} d`;
}

/** A sampling rate as a share: 1 -> "100%", 0.07 -> "7%", 0.125 -> "12.5%", 0.005 -> "0.5%". */
export function formatRate(rate: number): string {
  // Rounded first: 0.07 * 100 is 7.000000000000001.
  const percent = Number((rate * 100).toPrecision(10));
  if (Number.isInteger(percent)) return `${percent}%`;
  if (percent >= 1) return `${Number(percent.toFixed(1))}%`;
  return `${Number(percent.toPrecision(2))}%`;
}

/** What the rule scores, in words: "each matching span", "its trace, 30 s after its last span". */
export function describeTarget(target: RuleTarget, quietSeconds: number): string {
  if (target === "SPAN") return "each matching span";
  const quiet = quietSeconds > 0 ? `, once quiet for ${formatAge(quietSeconds)}` : "";
  return target === "TRACE" ? `the span's trace${quiet}` : `the span's session${quiet}`;
}

/** "exact-answer (BUILTIN), always the latest version" / "... version 2". */
export function describeEvaluator(rule: Pick<EvaluationRule, "evaluator" | "evaluator_version">) {
  const version =
    rule.evaluator_version == null
      ? "always the latest version"
      : `version ${rule.evaluator_version}`;
  return `${rule.evaluator.name} (${rule.evaluator.kind}), ${version}`;
}

/** How long the oldest queued job has waited, or that none waits. */
export function oldestQueuedLabel(seconds: number | null): string {
  return seconds == null ? "none queued" : formatAge(seconds);
}

export interface SpendLine {
  label: string;
  text: string;
  /** Today's spend has reached the cap: new targets are shed. */
  atCap: boolean;
}

/** Today's tokens and cost, each against its cap when the rule has one. */
export function spendLines(spend: RuleSpend): SpendLine[] {
  const tokens = spend.max_tokens_per_day;
  const cost = spend.max_cost_per_day;
  return [
    {
      label: "Tokens today",
      text:
        tokens == null
          ? `${formatCount(spend.tokens_today)} (no cap)`
          : `${formatCount(spend.tokens_today)} of ${formatCount(tokens)}`,
      atCap: tokens != null && spend.tokens_today >= tokens,
    },
    {
      label: "Cost today",
      text:
        cost == null
          ? `${formatCost(spend.cost_today)} (no cap)`
          : `${formatCost(spend.cost_today)} of ${formatCost(cost)}`,
      atCap: cost != null && spend.cost_today >= cost,
    },
  ];
}

/** "3 × provider answered 429; 1 × timed out" (the top reasons, as the API ranks them). */
export function reasonsLabel(reasons: readonly ReasonCount[], shown = 3): string {
  return reasons
    .slice(0, shown)
    .map((reason) => `${formatCount(reason.jobs)} × ${reason.reason}`)
    .join("; ");
}

/** "12 spans of the last hour match, 6 sampled: 3 traces would be scored." */
export function dryRunSummary(dryRun: DryRun, target: RuleTarget): string {
  const spans = (count: number) => `${formatCount(count)} span${count === 1 ? "" : "s"}`;
  const verb = dryRun.matched_spans === 1 ? "matches" : "match";
  const matched = `${spans(dryRun.matched_spans)} of the last hour ${verb}`;
  if (dryRun.matched_spans === 0) return `No span of the last hour matches.`;
  const noun = target === "SPAN" ? "span" : target === "TRACE" ? "trace" : "session";
  const targets = `${formatCount(dryRun.targets)} ${noun}${dryRun.targets === 1 ? "" : "s"}`;
  const sampled = `${formatCount(dryRun.sampled_spans)} sampled`;
  let text = `${matched}, ${sampled}: ${targets} would be scored.`;
  if (target === "SESSION" && dryRun.without_session > 0) {
    text += ` ${spans(dryRun.without_session)} belong to no session and are skipped.`;
  }
  if (dryRun.truncated) text += " (Counted over the newest matching spans only.)";
  return text;
}
