import type { EvaluationRule } from "../../api/evaluationRules";
import {
  changedSettings,
  emptyRuleForm,
  parseSamplingRate,
  problemsByField,
  ruleFormOf,
  settingsOfForm,
} from "./ruleForm";
import type { RuleFormState } from "./ruleForm";

const EVALUATOR_ID = "RXZhbHVhdG9yOjM=";

function filled(overrides: Partial<RuleFormState> = {}): RuleFormState {
  return {
    ...emptyRuleForm(),
    name: "has-order",
    evaluatorId: EVALUATOR_ID,
    filter: " span_kind == 'LLM' ",
    samplingRate: "0.25",
    ...overrides,
  };
}

function rule(overrides: Partial<EvaluationRule> = {}): EvaluationRule {
  return {
    id: "RXZhbHVhdGlvblJ1bGU6MTI=",
    project_id: "UHJvamVjdDox",
    project_name: "shop",
    name: "has-order",
    annotation_name: "has-order",
    evaluator: { id: EVALUATOR_ID, name: "contains-order", kind: "BUILTIN" },
    evaluator_version: null,
    filter: "span_kind == 'LLM'",
    target: "SPAN",
    sampling_rate: 0.25,
    delay_seconds: 0,
    quiet_seconds: 0,
    input_mapping: { output: "output" },
    max_tokens_per_day: null,
    max_cost_per_day: 5,
    status: "ACTIVE",
    status_reason: null,
    version: 1,
    created_at: "2025-01-01T00:00:00Z",
    updated_at: "2025-01-01T00:00:00Z",
    figures: {} as EvaluationRule["figures"],
    dry_run: null,
    ...overrides,
  };
}

describe("settingsOfForm", () => {
  it("turns the fields into the API's settings, the annotation named after the rule", () => {
    const result = settingsOfForm(
      filled({
        mapping: [
          { input: "output", path: " output " },
          { input: "", path: "" },
        ],
        evaluatorVersion: "2",
        maxTokensPerDay: "10000",
        maxCostPerDay: "2.5",
        quietSeconds: "",
      }),
    );
    expect(result.settings).toEqual({
      name: "has-order",
      annotation_name: "has-order",
      evaluator: EVALUATOR_ID,
      evaluator_version: 2,
      filter: "span_kind == 'LLM'",
      target: "SPAN",
      sampling_rate: 0.25,
      delay_seconds: 0,
      quiet_seconds: 0,
      input_mapping: { output: "output" },
      max_tokens_per_day: 10000,
      max_cost_per_day: 2.5,
    });
  });

  it("names each field the browser can already tell is wrong", () => {
    const result = settingsOfForm({
      ...emptyRuleForm(),
      samplingRate: "1.5",
      delaySeconds: "soon",
      maxTokensPerDay: "1.5",
      maxCostPerDay: "-1",
      mapping: [
        { input: "output", path: "" },
        { input: "x", path: "output" },
      ],
    });
    expect(result.problems).toEqual({
      name: "Give the rule a name.",
      evaluator: "Choose the evaluator the rule runs.",
      sampling_rate: "The sampling rate must be from 0 to 1, not 1.5.",
      delay_seconds: "The delay must be a number of seconds, 0 or more.",
      max_tokens_per_day: "A token cap is a whole number, 0 or more (empty: no cap).",
      max_cost_per_day: "A cost cap is a number of USD, 0 or more (empty: no cap).",
      input_mapping: "Each mapping row needs an input name and a path.",
    });
  });

  it("refuses an input mapped twice", () => {
    const result = settingsOfForm(
      filled({
        mapping: [
          { input: "output", path: "output" },
          { input: "output", path: "input" },
        ],
      }),
    );
    expect(result.problems).toEqual({ input_mapping: "The input output is mapped twice." });
  });

  it("reads only numbers as a sampling rate", () => {
    expect(parseSamplingRate("0.1")).toBe(0.1);
    expect(parseSamplingRate(" 1 ")).toBe(1);
    expect(parseSamplingRate("1e-2")).toBe(0.01);
    for (const text of ["", "NaN", "0x1", "Infinity", "10%", "0.5.1"]) {
      expect(parseSamplingRate(text)).toMatch(/must be a number from 0 to 1/);
    }
    expect(parseSamplingRate("-0.1")).toMatch(/from 0 to 1, not -0.1/);
  });
});

describe("a rule's form", () => {
  it("starts from the rule and sends only what changed", () => {
    const existing = rule();
    const form = ruleFormOf(existing);
    expect(form.mapping).toEqual([{ input: "output", path: "output" }]);
    expect(form.maxCostPerDay).toBe("5");
    const same = settingsOfForm(form).settings;
    expect(same && changedSettings(existing, same)).toEqual({});

    const next = settingsOfForm({ ...form, samplingRate: "0.5", maxCostPerDay: "" }).settings;
    expect(next && changedSettings(existing, next)).toEqual({
      sampling_rate: 0.5,
      max_cost_per_day: null,
    });
  });

  it("gathers a 422's complaints under the fields they belong to", () => {
    expect(
      problemsByField({
        filter: "Invalid filter expression at line 1, column 5: unknown name",
        "input_mapping.question": "`input_mapping.question`: a path starts with input, ...",
      }),
    ).toEqual({
      filter: "Invalid filter expression at line 1, column 5: unknown name",
      input_mapping: "`input_mapping.question`: a path starts with input, ...",
    });
  });
});
