import type { SpanRuleDecision } from "../../api/evaluationRules";
import { decisionVerdict, ruleAnnotation, rowIdOf, samplingLabel, scoreText } from "./decisions";

const RULE_ID = btoa("EvaluationRule:12");

function decision(overrides: Partial<SpanRuleDecision> = {}): SpanRuleDecision {
  return {
    rule: {
      id: RULE_ID,
      name: "has-order",
      annotation_name: "has-order",
      evaluator: { id: "x", name: "contains-order", kind: "BUILTIN" },
      target: "SPAN",
      sampling_rate: 0.5,
      status: "ACTIVE",
      status_reason: null,
      version: 1,
    },
    decision: "sampled_out",
    reason: "sampled out",
    target_kind: "SPAN",
    target_id: "abc",
    matched: true,
    sampling: { key_kind: "trace", key: "t", draw: 0.73412, rate: 0.5, sampled: false },
    job: null,
    earlier_jobs: [],
    ...overrides,
  };
}

describe("decisions", () => {
  it("gives every decision of the API a verdict and a tone", () => {
    expect(decisionVerdict("scored")).toEqual({ label: "Scored", tone: "ok" });
    expect(decisionVerdict("failed").tone).toBe("error");
    expect(decisionVerdict("not_matched")).toEqual({ label: "Not matched", tone: "quiet" });
    expect(decisionVerdict("sampled_out").label).toBe("Sampled out");
    expect(decisionVerdict("retrying").tone).toBe("warning");
    expect(decisionVerdict("something_new")).toEqual({ label: "something new", tone: "quiet" });
  });

  it("shows the sampling draw against the rate", () => {
    expect(samplingLabel(decision())).toBe("trace draw 0.734 ≥ rate 0.5");
    const kept = decision({
      sampling: { key_kind: "session", key: "s", draw: 0.1, rate: 0.5, sampled: true },
    });
    expect(samplingLabel(kept)).toBe("session draw 0.100 < rate 0.5");
    expect(samplingLabel(decision({ sampling: null }))).toBeNull();
  });

  it("reads the row id of a GlobalID", () => {
    expect(rowIdOf(RULE_ID)).toBe("12");
    expect(rowIdOf("not base64!")).toBeNull();
    expect(rowIdOf(btoa("no colon"))).toBeNull();
  });

  it("finds the annotation the rule wrote, by its identifier first", () => {
    const annotations = [
      { name: "has-order", score: 0, label: "false", identifier: "" },
      { name: "has-order", score: 1, label: "true", identifier: "rule-12" },
      { name: "other", score: 0.5, label: null, identifier: "rule-12" },
    ];
    expect(ruleAnnotation(annotations, RULE_ID, "has-order")?.score).toBe(1);
    expect(ruleAnnotation(annotations, btoa("EvaluationRule:99"), "has-order")?.score).toBe(0);
    expect(ruleAnnotation(annotations, RULE_ID, "missing")).toBeNull();
  });

  it("writes a score with its label", () => {
    expect(scoreText({ score: 1, label: "true" })).toBe("1.00 (true)");
    expect(scoreText({ score: 0.25, label: null })).toBe("0.25");
    expect(scoreText({ score: null, label: "correct" })).toBe("correct");
  });
});
