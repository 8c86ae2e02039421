// What the evaluator forms offer: the built-in evaluators with their configuration fields, the
// built-in LLM judges, and the variables a judge template may use. The server holds the truth
// (libs/evals: `BUILTIN_EVALUATORS`, `BUILTIN_JUDGES`, `JUDGE_VARIABLES`) and checks every
// definition when it is saved or tested; this is the menu, kept in step with it by hand.
import type { EvaluatorKind } from "../../api/evaluators";

export const KIND_LABELS: Record<EvaluatorKind, string> = {
  BUILTIN: "Built-in",
  LLM: "LLM judge",
  CODE: "Code",
};

/** One configuration field of a built-in, as the form shows it. */
export interface ConfigField {
  /** The key in `config`. */
  key: string;
  label: string;
  /** `words`: a list of texts, typed comma-separated; `json`: any JSON value. */
  type: "boolean" | "text" | "number" | "integer" | "words" | "choice" | "json";
  /** A boolean's default; the others are left out of `config` when blank. */
  defaultValue?: boolean;
  options?: readonly string[];
  required?: boolean;
  placeholder?: string;
  help?: string;
}

export interface BuiltinEntry {
  name: string;
  description: string;
  inputs: readonly string[];
  gives: string;
  fields: readonly ConfigField[];
}

const CASE_SENSITIVE = (defaultValue: boolean): ConfigField => ({
  key: "case_sensitive",
  label: "Case sensitive",
  type: "boolean",
  defaultValue,
});

export const BUILTIN_EVALUATORS: readonly BuiltinEntry[] = [
  {
    name: "exact_match",
    description: "Whether the output equals the expected output, as text",
    inputs: ["output", "expected"],
    gives: "true / false",
    fields: [
      CASE_SENSITIVE(true),
      { key: "strip_whitespace", label: "Strip whitespace", type: "boolean", defaultValue: false },
    ],
  },
  {
    name: "contains",
    description: "Whether the output contains any (or all) of a list of words",
    inputs: ["output"],
    gives: "true / false",
    fields: [
      {
        key: "words",
        label: "Words",
        type: "words",
        required: true,
        placeholder: "refund, order",
        help: "Comma-separated words or phrases (1 to 100).",
      },
      { key: "require_all", label: "Require all", type: "boolean", defaultValue: false },
      CASE_SENSITIVE(false),
    ],
  },
  {
    name: "regex",
    description: "Whether the output matches a regular expression (anywhere, or as a whole)",
    inputs: ["output"],
    gives: "true / false",
    fields: [
      {
        key: "pattern",
        label: "Pattern",
        type: "text",
        required: true,
        placeholder: "order #\\d+",
        help: "Python syntax.",
      },
      { key: "full_match", label: "Full match", type: "boolean", defaultValue: false },
      CASE_SENSITIVE(true),
    ],
  },
  {
    name: "json_valid",
    description: "Whether the output is JSON, and follows a JSON Schema when one is given",
    inputs: ["output"],
    gives: "true / false",
    fields: [
      {
        key: "schema",
        label: "JSON Schema",
        type: "json",
        placeholder: '{"type": "object", "required": ["answer"]}',
        help: "Draft 4 to 2020-12; leave blank to accept any JSON.",
      },
    ],
  },
  {
    name: "json_distance",
    description: "How many values differ between the output and the expected JSON (0: equal)",
    inputs: ["output", "expected"],
    gives: "a count (lower is better)",
    fields: [],
  },
  {
    name: "levenshtein",
    description: "How similar the output is to the expected text, by edit distance (1: equal)",
    inputs: ["output", "expected"],
    gives: "a similarity from 0 to 1",
    fields: [CASE_SENSITIVE(true)],
  },
  {
    name: "length_between",
    description: "Whether the output's length, in characters or words, is within bounds",
    inputs: ["output"],
    gives: "true / false",
    fields: [
      { key: "min_length", label: "Minimum length", type: "integer" },
      { key: "max_length", label: "Maximum length", type: "integer" },
      { key: "unit", label: "Unit", type: "choice", options: ["characters", "words"] },
    ],
  },
  {
    name: "not_empty",
    description: "Whether there is an output: not missing, blank, or an empty list or object",
    inputs: ["output"],
    gives: "true / false",
    fields: [],
  },
  {
    name: "within_tolerance",
    description: "Whether the output is a number within a tolerance of the expected number",
    inputs: ["output", "expected"],
    gives: "true / false",
    fields: [
      { key: "absolute_tolerance", label: "Absolute tolerance", type: "number", placeholder: "0" },
      { key: "relative_tolerance", label: "Relative tolerance", type: "number", placeholder: "0" },
    ],
  },
];

export function builtinEntry(name: string): BuiltinEntry | undefined {
  return BUILTIN_EVALUATORS.find((entry) => entry.name === name);
}

export interface JudgeEntry {
  name: string;
  description: string;
  inputs: readonly string[];
  labels: string;
}

export const BUILTIN_JUDGES: readonly JudgeEntry[] = [
  {
    name: "correctness",
    description: "Whether the answer is factually right and answers the question",
    inputs: ["input", "output"],
    labels: "correct 1 / incorrect 0",
  },
  {
    name: "qa_correctness",
    description: "Whether the answer agrees with a reference answer to the question",
    inputs: ["input", "expected", "output"],
    labels: "correct 1 / incorrect 0",
  },
  {
    name: "hallucination",
    description: "Whether the response invents information its context does not support",
    inputs: ["input", "context", "output"],
    labels: "hallucinated 1 / grounded 0 (lower is better)",
  },
  {
    name: "faithfulness",
    description: "Whether the response represents its context accurately, without distortion",
    inputs: ["input", "context", "output"],
    labels: "faithful 1 / unfaithful 0",
  },
  {
    name: "document_relevance",
    description: "Whether one retrieved document helps answer the question",
    inputs: ["input", "document"],
    labels: "relevant 1 / unrelated 0",
  },
  {
    name: "retrieval_relevance",
    description: "Whether the retrieved context, taken together, is relevant to the query",
    inputs: ["input", "context"],
    labels: "relevant 1 / irrelevant 0",
  },
  {
    name: "toxicity",
    description: "Whether the text is hateful, harassing, threatening or otherwise harmful",
    inputs: ["output"],
    labels: "toxic 1 / non-toxic 0 (lower is better)",
  },
  {
    name: "conciseness",
    description: "Whether the response says what is needed without padding",
    inputs: ["input", "output"],
    labels: "concise 1 / verbose 0",
  },
  {
    name: "refusal",
    description: "Whether the response declines the request instead of answering it",
    inputs: ["input", "output"],
    labels: "refused 1 / answered 0 (neutral)",
  },
  {
    name: "tool_selection",
    description: "Whether the model chose the right tools (or none) for the request",
    inputs: ["input", "tools", "tool_calls"],
    labels: "correct 1 / incorrect 0",
  },
  {
    name: "tool_invocation",
    description: "Whether the tool calls were made correctly: existing tools, valid arguments",
    inputs: ["input", "tools", "tool_calls"],
    labels: "correct 1 / incorrect 0",
  },
  {
    name: "tool_response_handling",
    description: "Whether the response uses what the tools returned accurately and honestly",
    inputs: ["input", "tool_calls", "output"],
    labels: "correct 1 / incorrect 0",
  },
  {
    name: "user_friction",
    description: "Whether the user met friction or frustration in the conversation",
    inputs: ["input"],
    labels: "friction 1 / no_friction 0 (lower is better)",
  },
];

export function judgeEntry(name: string): JudgeEntry | undefined {
  return BUILTIN_JUDGES.find((entry) => entry.name === name);
}

/** The variables a judge template may use (`{{output}}`), and what each is filled with. */
export const JUDGE_VARIABLES: readonly (readonly [string, string])[] = [
  ["input", "what the application was asked"],
  ["output", "what the application answered"],
  ["expected", "the reference answer (alias reference)"],
  ["context", "the retrieved documents, together (alias documents)"],
  ["document", "one retrieved document"],
  ["metadata", "the span's or the example's metadata"],
  ["tools", "the tools offered to the model"],
  ["tool_calls", "the tool calls the model made"],
];

/** Where an input mapping's path may start (what the worker gathers for a target). */
export const MATERIAL = [
  "input",
  "output",
  "expected",
  "reference",
  "metadata",
  "context",
  "documents",
  "document",
  "tools",
  "tool_calls",
  "attributes",
] as const;

/** The limits of code evaluators (libs/evals `CodeLimits`): default and bounds. */
export const CODE_LIMITS = {
  cpu_seconds: { label: "CPU seconds", defaultValue: 2, min: 0, max: 30 },
  memory_mb: { label: "Memory (MB)", defaultValue: 256, min: 64, max: 2048 },
  wall_seconds: { label: "Wall-clock seconds", defaultValue: 10, min: 0, max: 120 },
} as const;

export type CodeLimitKey = keyof typeof CODE_LIMITS;
