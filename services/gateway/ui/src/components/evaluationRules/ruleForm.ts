// A rule's form as text fields, and the settings it amounts to. What the browser can tell (a
// number that is not one, a rate outside [0, 1], a mapping row without its path) is said under
// the field before anything is sent; the rest (the filter, the evaluator, the mapping's paths)
// is the API's to check, and its 422 is shown under the field it names, by the same keys.
import type { EvaluationRule, RuleSettings, RuleTarget } from "../../api/evaluationRules";

export interface MappingRow {
  /** The evaluator's input name (`output`, `question`). */
  input: string;
  /** Where it comes from in the target (`output`, `attributes.llm.model_name`). */
  path: string;
}

/** The form's fields, as typed. */
export interface RuleFormState {
  name: string;
  annotationName: string;
  /** The evaluator's GlobalID; "" while none is chosen. */
  evaluatorId: string;
  /** A version number, or "" for always the latest. */
  evaluatorVersion: string;
  filter: string;
  target: RuleTarget;
  samplingRate: string;
  delaySeconds: string;
  quietSeconds: string;
  mapping: MappingRow[];
  maxTokensPerDay: string;
  maxCostPerDay: string;
}

/** A field's complaint, keyed as the API keys its 422s (`sampling_rate`, `input_mapping`). */
export type FieldProblems = Record<string, string>;

export function emptyRuleForm(): RuleFormState {
  return {
    name: "",
    annotationName: "",
    evaluatorId: "",
    evaluatorVersion: "",
    filter: "",
    target: "SPAN",
    samplingRate: "1",
    delaySeconds: "0",
    quietSeconds: "0",
    mapping: [],
    maxTokensPerDay: "",
    maxCostPerDay: "",
  };
}

/** The form of an existing rule, to change it. */
export function ruleFormOf(rule: EvaluationRule): RuleFormState {
  return {
    name: rule.name,
    annotationName: rule.annotation_name,
    evaluatorId: rule.evaluator.id,
    evaluatorVersion: rule.evaluator_version == null ? "" : String(rule.evaluator_version),
    filter: rule.filter,
    target: rule.target,
    samplingRate: String(rule.sampling_rate),
    delaySeconds: String(rule.delay_seconds),
    quietSeconds: String(rule.quiet_seconds),
    mapping: Object.entries(rule.input_mapping).map(([input, path]) => ({ input, path })),
    maxTokensPerDay: rule.max_tokens_per_day == null ? "" : String(rule.max_tokens_per_day),
    maxCostPerDay: rule.max_cost_per_day == null ? "" : String(rule.max_cost_per_day),
  };
}

/** A decimal number as typed ("0.25", "1e-3", " 30 "); null when it is not one. */
function numberOf(text: string): number | null {
  const trimmed = text.trim();
  if (!trimmed || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

/** The sampling rate of the form, or why it is not one. */
export function parseSamplingRate(text: string): number | string {
  const rate = numberOf(text);
  if (rate == null) return "The sampling rate must be a number from 0 to 1 (0.1 scores 10%).";
  if (rate < 0 || rate > 1) return `The sampling rate must be from 0 to 1, not ${text.trim()}.`;
  return rate;
}

/** The mapping rows as the API takes them; blank rows are left out. */
function mappingOf(rows: readonly MappingRow[], problems: FieldProblems): Record<string, string> {
  const mapping: Record<string, string> = {};
  for (const row of rows) {
    const input = row.input.trim();
    const path = row.path.trim();
    if (!input && !path) continue;
    if (!input || !path) {
      problems.input_mapping = "Each mapping row needs an input name and a path.";
    } else if (input in mapping) {
      problems.input_mapping = `The input ${input} is mapped twice.`;
    } else {
      mapping[input] = path;
    }
  }
  return mapping;
}

/** The settings of a form, or why it has none. */
export type FormOutcome =
  | { settings: RuleSettings; problems?: undefined }
  | { settings?: undefined; problems: FieldProblems };

/** The settings the form says, or the problems of its fields (at least one). */
export function settingsOfForm(form: RuleFormState): FormOutcome {
  const problems: FieldProblems = {};
  const name = form.name.trim();
  if (!name) problems.name = "Give the rule a name.";
  if (!form.evaluatorId) problems.evaluator = "Choose the evaluator the rule runs.";
  const rate = parseSamplingRate(form.samplingRate);
  if (typeof rate === "string") problems.sampling_rate = rate;
  const seconds = (text: string, field: string, label: string): number => {
    const value = text.trim() ? numberOf(text) : 0;
    if (value == null || value < 0) {
      problems[field] = `${label} must be a number of seconds, 0 or more.`;
    }
    return value ?? 0;
  };
  const delay = seconds(form.delaySeconds, "delay_seconds", "The delay");
  const quiet = seconds(form.quietSeconds, "quiet_seconds", "The quiet period");
  const cap = (text: string, field: string, whole: boolean): number | null => {
    if (!text.trim()) return null;
    const value = numberOf(text);
    if (value == null || value < 0 || (whole && !Number.isInteger(value))) {
      problems[field] = whole
        ? "A token cap is a whole number, 0 or more (empty: no cap)."
        : "A cost cap is a number of USD, 0 or more (empty: no cap).";
      return null;
    }
    return value;
  };
  const maxTokens = cap(form.maxTokensPerDay, "max_tokens_per_day", true);
  const maxCost = cap(form.maxCostPerDay, "max_cost_per_day", false);
  const mapping = mappingOf(form.mapping, problems);
  if (Object.keys(problems).length > 0) return { problems };
  return {
    settings: {
      name,
      annotation_name: form.annotationName.trim() || name,
      evaluator: form.evaluatorId,
      evaluator_version: form.evaluatorVersion ? Number(form.evaluatorVersion) : null,
      filter: form.filter.trim(),
      target: form.target,
      sampling_rate: rate as number,
      delay_seconds: delay,
      quiet_seconds: quiet,
      input_mapping: mapping,
      max_tokens_per_day: maxTokens,
      max_cost_per_day: maxCost,
    },
  };
}

/** The settings of `next` that differ from `rule`'s: what a change sends. */
export function changedSettings(rule: EvaluationRule, next: RuleSettings): Partial<RuleSettings> {
  const current: RuleSettings = {
    name: rule.name,
    annotation_name: rule.annotation_name,
    evaluator: rule.evaluator.id,
    evaluator_version: rule.evaluator_version,
    filter: rule.filter,
    target: rule.target,
    sampling_rate: rule.sampling_rate,
    delay_seconds: rule.delay_seconds,
    quiet_seconds: rule.quiet_seconds,
    input_mapping: rule.input_mapping,
    max_tokens_per_day: rule.max_tokens_per_day,
    max_cost_per_day: rule.max_cost_per_day,
  };
  const changes: Partial<Record<keyof RuleSettings, unknown>> = {};
  for (const key of Object.keys(next) as (keyof RuleSettings)[]) {
    if (JSON.stringify(next[key]) !== JSON.stringify(current[key])) changes[key] = next[key];
  }
  return changes as Partial<RuleSettings>;
}

/** The field a 422's key belongs to: `input_mapping.question` is the mapping's. */
export function problemField(key: string): string {
  return key.startsWith("input_mapping") ? "input_mapping" : key.split(".")[0];
}

/** A 422's complaints gathered by the form's fields. */
export function problemsByField(fields: Readonly<Record<string, string>>): FieldProblems {
  const problems: FieldProblems = {};
  for (const [key, message] of Object.entries(fields)) {
    const field = problemField(key);
    problems[field] = problems[field] ? `${problems[field]} ${message}` : message;
  }
  return problems;
}
