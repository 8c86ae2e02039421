import type { DryRun } from "../../api/evaluationRules";
import {
  describeEvaluator,
  describeTarget,
  dryRunSummary,
  formatAge,
  formatRate,
  oldestQueuedLabel,
  reasonsLabel,
  spendLines,
} from "./ruleFigures";

function dryRun(overrides: Partial<DryRun> = {}): DryRun {
  return {
    window_seconds: 3600,
    matched_spans: 12,
    sampled_spans: 6,
    targets: 3,
    without_session: 0,
    truncated: false,
    oldest_span_time: null,
    ...overrides,
  };
}

describe("rule figures", () => {
  it("reads ages from seconds to days", () => {
    expect(formatAge(0.4)).toBe("0 s");
    expect(formatAge(42)).toBe("42 s");
    expect(formatAge(185)).toBe("3 min");
    expect(formatAge(5400)).toBe("1.5 h");
    expect(formatAge(86_400)).toBe("24 h");
    expect(formatAge(3 * 86_400)).toBe("3 d");
    expect(formatAge(3.25 * 86_400)).toBe("3.3 d");
    expect(oldestQueuedLabel(null)).toBe("none queued");
    expect(oldestQueuedLabel(75)).toBe("1 min");
  });

  it("reads a sampling rate as a share without float noise", () => {
    expect(formatRate(1)).toBe("100%");
    expect(formatRate(0)).toBe("0%");
    expect(formatRate(0.07)).toBe("7%");
    expect(formatRate(0.125)).toBe("12.5%");
    expect(formatRate(0.005)).toBe("0.5%");
    expect(formatRate(0.000123)).toBe("0.012%");
  });

  it("says what a rule scores and with which version", () => {
    expect(describeTarget("SPAN", 30)).toBe("each matching span");
    expect(describeTarget("TRACE", 30)).toBe("the span's trace, once quiet for 30 s");
    expect(describeTarget("SESSION", 0)).toBe("the span's session");
    const evaluator = { id: "RXZhbHVhdG9yOjE=", name: "has-order", kind: "BUILTIN" };
    expect(describeEvaluator({ evaluator, evaluator_version: null })).toBe(
      "has-order (BUILTIN), always the latest version",
    );
    expect(describeEvaluator({ evaluator, evaluator_version: 2 })).toBe(
      "has-order (BUILTIN), version 2",
    );
  });

  it("shows today's spend against the caps, and says when a cap is reached", () => {
    const lines = spendLines({
      tokens_today: 12_500,
      cost_today: 0.5,
      max_tokens_per_day: 10_000,
      max_cost_per_day: null,
    });
    expect(lines).toEqual([
      { label: "Tokens today", text: "12.5K of 10K", atCap: true },
      { label: "Cost today", text: "$0.50 (no cap)", atCap: false },
    ]);
  });

  it("lists the top reasons with their job counts", () => {
    const reasons = [
      { reason: "provider answered 429", jobs: 3 },
      { reason: "timed out", jobs: 1 },
      { reason: "other", jobs: 1 },
      { reason: "left out", jobs: 1 },
    ];
    expect(reasonsLabel(reasons)).toBe("3 × provider answered 429; 1 × timed out; 1 × other");
    expect(reasonsLabel([])).toBe("");
  });

  it("sums up a dry run for each target", () => {
    expect(dryRunSummary(dryRun(), "TRACE")).toBe(
      "12 spans of the last hour match, 6 sampled: 3 traces would be scored.",
    );
    expect(dryRunSummary(dryRun({ matched_spans: 1, sampled_spans: 1, targets: 1 }), "SPAN")).toBe(
      "1 span of the last hour matches, 1 sampled: 1 span would be scored.",
    );
    expect(dryRunSummary(dryRun({ matched_spans: 0, sampled_spans: 0, targets: 0 }), "SPAN")).toBe(
      "No span of the last hour matches.",
    );
    expect(dryRunSummary(dryRun({ without_session: 4, truncated: true }), "SESSION")).toBe(
      "12 spans of the last hour match, 6 sampled: 3 sessions would be scored. " +
        "4 spans belong to no session and are skipped. " +
        "(Counted over the newest matching spans only.)",
    );
  });
});
