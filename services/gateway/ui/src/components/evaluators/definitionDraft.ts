// An evaluator's definition as the form holds it, and the JSON the API takes (libs/evals
// `definitions.py`): BUILTIN `{evaluator, config}`, LLM `{judge | template, provider, model,
// invocation_parameters}`, CODE `{code, entry, limits}`.
//
// The form keeps a draft of each kind, so switching kinds and back loses nothing. Text the
// API can't take as it is (a number, a JSON object) is checked here, with the field it belongs
// to spelt as the API spells it in a 422 (`definition.config.words`), so one kind of message
// shows in one place whoever found the problem. Everything else is the server's to check.
import type { EvaluatorKind, FieldProblem, JsonObject } from "../../api/evaluators";
import { builtinEntry, CODE_LIMITS, judgeEntry } from "./catalog";
import type { BuiltinEntry, CodeLimitKey } from "./catalog";

export type FieldValue = string | boolean;

export interface BuiltinDraft {
  evaluator: string;
  /** Fields, or the whole configuration as JSON. */
  mode: "fields" | "json";
  fields: Record<string, FieldValue>;
  json: string;
}

export type TemplateRole = "system" | "user" | "assistant";
export type TemplateFormat = "MUSTACHE" | "F_STRING" | "NONE";
export type Direction = "maximize" | "minimize" | "neutral";

export interface TemplateMessage {
  id: string;
  role: TemplateRole;
  content: string;
}

export interface ChoiceRow {
  id: string;
  label: string;
  /** Blank: the label alone, with no score. */
  score: string;
}

export interface JudgeDraft {
  /** A built-in judge by name, or a template of the user's own. */
  source: "builtin" | "custom";
  judge: string;
  provider: string;
  model: string;
  /** JSON object text; blank is none. */
  parameters: string;
  templateName: string;
  templateDescription: string;
  templateFormat: TemplateFormat;
  messages: TemplateMessage[];
  choices: ChoiceRow[];
  direction: Direction;
  explanation: boolean;
}

export interface CodeDraft {
  code: string;
  entry: string;
  limits: Record<CodeLimitKey, string>;
}

export interface DefinitionDraft {
  kind: EvaluatorKind;
  builtin: BuiltinDraft;
  llm: JudgeDraft;
  code: CodeDraft;
}

let lastId = 0;

/** A key for a row the user adds (messages, choices, mapping rows). */
export function rowId(): string {
  lastId += 1;
  return `row-${lastId}`;
}

export const STARTER_CODE = `def evaluate(output, expected):
    """Return a score, a label, (score, explanation) or a dict."""
    return float(output == expected)
`;

const STARTER_SYSTEM = "You judge whether an answer is polite. Answer with one label.";
const STARTER_USER = "<answer>\n{{output}}\n</answer>";

export function newDraft(kind: EvaluatorKind = "BUILTIN"): DefinitionDraft {
  return {
    kind,
    builtin: { evaluator: "exact_match", mode: "fields", fields: {}, json: "{}" },
    llm: {
      source: "builtin",
      judge: "correctness",
      provider: "OPENAI",
      model: "gpt-4o-mini",
      parameters: "",
      templateName: "",
      templateDescription: "",
      templateFormat: "MUSTACHE",
      messages: [
        { id: rowId(), role: "system", content: STARTER_SYSTEM },
        { id: rowId(), role: "user", content: STARTER_USER },
      ],
      choices: [
        { id: rowId(), label: "polite", score: "1" },
        { id: rowId(), label: "rude", score: "0" },
      ],
      direction: "maximize",
      explanation: true,
    },
    code: {
      code: STARTER_CODE,
      entry: "evaluate",
      limits: {
        cpu_seconds: String(CODE_LIMITS.cpu_seconds.defaultValue),
        memory_mb: String(CODE_LIMITS.memory_mb.defaultValue),
        wall_seconds: String(CODE_LIMITS.wall_seconds.defaultValue),
      },
    },
  };
}

// Built-in configurations ------------------------------------------------------------------------

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A stored value as a text field shows it: text as it is, anything else as JSON. */
function fieldText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The form's fields of a stored configuration (what the fields can't show stays in JSON). */
export function fieldsFromConfig(
  entry: BuiltinEntry,
  config: JsonObject,
): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  for (const field of entry.fields) {
    const value = config[field.key];
    if (value === undefined || value === null) continue;
    if (field.type === "boolean") fields[field.key] = value === true;
    else if (field.type === "words") {
      fields[field.key] = Array.isArray(value) ? value.map(fieldText).join(", ") : fieldText(value);
    } else if (field.type === "json") fields[field.key] = JSON.stringify(value, null, 2);
    else fields[field.key] = fieldText(value);
  }
  return fields;
}

/** Whether every key of `config` is one the fields show (else the JSON editor shows it). */
export function fitsFields(entry: BuiltinEntry, config: JsonObject): boolean {
  return Object.keys(config).every((key) => entry.fields.some((field) => field.key === key));
}

type Built<T> = { value: T; problems?: undefined } | { value?: undefined; problems: FieldProblem[] };

/** The configuration the fields describe: blank fields left out (the built-in's default),
 * booleans kept only where they differ from it. */
export function configFromFields(
  entry: BuiltinEntry,
  fields: Record<string, FieldValue>,
): Built<JsonObject> {
  const config: JsonObject = {};
  const problems: FieldProblem[] = [];
  for (const field of entry.fields) {
    const where = `definition.config.${field.key}`;
    const raw = fields[field.key];
    if (field.type === "boolean") {
      const value = raw === undefined ? field.defaultValue === true : raw === true;
      if (value !== (field.defaultValue === true)) config[field.key] = value;
      continue;
    }
    const text = typeof raw === "string" ? raw.trim() : "";
    if (!text) {
      if (field.required) problems.push({ field: where, message: `${field.label} is required.` });
      continue;
    }
    if (field.type === "words") {
      config[field.key] = text
        .split(",")
        .map((word) => word.trim())
        .filter(Boolean);
    } else if (field.type === "number" || field.type === "integer") {
      const number = Number(text);
      if (!Number.isFinite(number)) {
        problems.push({ field: where, message: `${field.label} must be a number.` });
      } else if (field.type === "integer" && !Number.isInteger(number)) {
        problems.push({ field: where, message: `${field.label} must be a whole number.` });
      } else config[field.key] = number;
    } else if (field.type === "json") {
      const parsed = parseJson(text);
      if ("problem" in parsed) problems.push({ field: where, message: parsed.problem });
      else config[field.key] = parsed.value;
    } else config[field.key] = typeof raw === "string" ? raw : text;
  }
  return problems.length ? { problems } : { value: config };
}

function parseJson(text: string): { value: unknown } | { problem: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { problem: `Not valid JSON: ${(error as Error).message}` };
  }
}

/** A JSON object typed into a field (blank: none, `{}`). */
export function parseJsonObject(text: string, field: string): Built<JsonObject> {
  if (!text.trim()) return { value: {} };
  const parsed = parseJson(text);
  if ("problem" in parsed) return { problems: [{ field, message: parsed.problem }] };
  if (!isObject(parsed.value)) {
    return { problems: [{ field, message: "Must be a JSON object ({ … })." }] };
  }
  return { value: parsed.value };
}

/** The built-in draft with its mode switched, carrying what was typed across: fields become
 * JSON; JSON becomes fields when it parses and the fields can show all of it. A problem (JSON
 * that can't be read as fields) leaves the draft as it is. */
export function switchConfigMode(draft: BuiltinDraft): Built<BuiltinDraft> {
  const entry = builtinEntry(draft.evaluator);
  if (draft.mode === "fields") {
    const config = entry ? configFromFields(entry, draft.fields) : { value: {} };
    const json = JSON.stringify(config.value ?? {}, null, 2);
    return { value: { ...draft, mode: "json", json } };
  }
  const parsed = parseJsonObject(draft.json, "definition.config");
  if (parsed.problems) return { problems: parsed.problems };
  if (!entry || !fitsFields(entry, parsed.value)) {
    const message = "The fields can't show this configuration: keep editing it as JSON.";
    return { problems: [{ field: "definition.config", message }] };
  }
  return { value: { ...draft, mode: "fields", fields: fieldsFromConfig(entry, parsed.value) } };
}

// Definitions ------------------------------------------------------------------------------------

function builtinDefinition(draft: BuiltinDraft): Built<JsonObject> {
  const entry = builtinEntry(draft.evaluator);
  let config: Built<JsonObject>;
  if (draft.mode === "json" || !entry) config = parseJsonObject(draft.json, "definition.config");
  else config = configFromFields(entry, draft.fields);
  if (config.problems) return config;
  const definition: JsonObject = { kind: "BUILTIN", evaluator: draft.evaluator };
  if (Object.keys(config.value).length) definition.config = config.value;
  return { value: definition };
}

function judgeDefinition(draft: JudgeDraft, fallbackName: string): Built<JsonObject> {
  const parameters = parseJsonObject(draft.parameters, "definition.invocation_parameters");
  const problems: FieldProblem[] = [...(parameters.problems ?? [])];
  const definition: JsonObject = {
    kind: "LLM",
    provider: draft.provider,
    model: draft.model.trim(),
  };
  if (parameters.value && Object.keys(parameters.value).length) {
    definition.invocation_parameters = parameters.value;
  }
  if (draft.source === "builtin") {
    definition.judge = draft.judge;
  } else {
    const choices: Record<string, number | null> = {};
    draft.choices.forEach((choice, index) => {
      const label = choice.label;
      if (!label.trim() && !choice.score.trim()) return;
      const score = choice.score.trim() === "" ? null : Number(choice.score);
      if (score !== null && !Number.isFinite(score)) {
        problems.push({
          field: `definition.template.choices.${index}`,
          message: `The score of “${label}” must be a number, or blank for none.`,
        });
      }
      if (Object.hasOwn(choices, label)) {
        problems.push({
          field: `definition.template.choices.${index}`,
          message: `The label “${label}” is named twice.`,
        });
      }
      choices[label] = score;
    });
    const template: JsonObject = {
      name: draft.templateName.trim() || fallbackName || "judge",
      messages: draft.messages.map((message) => ({ role: message.role, content: message.content })),
      template_format: draft.templateFormat,
      choices,
      direction: draft.direction,
      explanation: draft.explanation,
    };
    if (draft.templateDescription.trim()) template.description = draft.templateDescription.trim();
    definition.template = template;
  }
  return problems.length ? { problems } : { value: definition };
}

function codeDefinition(draft: CodeDraft): Built<JsonObject> {
  const limits: JsonObject = {};
  const problems: FieldProblem[] = [];
  for (const key of Object.keys(CODE_LIMITS) as CodeLimitKey[]) {
    const text = draft.limits[key].trim();
    if (!text) continue;
    const number = Number(text);
    if (!Number.isFinite(number)) {
      problems.push({
        field: `definition.limits.${key}`,
        message: `${CODE_LIMITS[key].label} must be a number.`,
      });
    } else if (number !== CODE_LIMITS[key].defaultValue) limits[key] = number;
  }
  if (problems.length) return { problems };
  const definition: JsonObject = { kind: "CODE", code: draft.code, entry: draft.entry.trim() };
  if (Object.keys(limits).length) definition.limits = limits;
  return { value: definition };
}

/** The definition the draft of its kind describes, or the problems of what was typed.
 * `fallbackName` names a judge template left unnamed (the evaluator's name). */
export function buildDefinition(draft: DefinitionDraft, fallbackName = ""): Built<JsonObject> {
  if (draft.kind === "BUILTIN") return builtinDefinition(draft.builtin);
  if (draft.kind === "LLM") return judgeDefinition(draft.llm, fallbackName);
  return codeDefinition(draft.code);
}

function text(value: unknown, otherwise = ""): string {
  return typeof value === "string" ? value : otherwise;
}

/** A draft holding a stored definition (a version to start the next one from). */
export function draftFromDefinition(kind: EvaluatorKind, definition: JsonObject): DefinitionDraft {
  const draft = newDraft(kind);
  if (kind === "BUILTIN") {
    const evaluator = text(definition.evaluator, "exact_match");
    const config = isObject(definition.config) ? definition.config : {};
    const entry = builtinEntry(evaluator);
    const fields = entry && fitsFields(entry, config);
    draft.builtin = {
      evaluator,
      mode: fields ? "fields" : "json",
      fields: entry && fields ? fieldsFromConfig(entry, config) : {},
      json: JSON.stringify(config, null, 2),
    };
  } else if (kind === "LLM") {
    const llm = draft.llm;
    llm.provider = text(definition.provider, llm.provider);
    llm.model = text(definition.model, llm.model);
    llm.parameters =
      isObject(definition.invocation_parameters) &&
      Object.keys(definition.invocation_parameters).length
        ? JSON.stringify(definition.invocation_parameters, null, 2)
        : "";
    if (typeof definition.judge === "string") {
      llm.source = "builtin";
      llm.judge = definition.judge;
    } else if (isObject(definition.template)) {
      const template = definition.template;
      llm.source = "custom";
      llm.templateName = text(template.name);
      llm.templateDescription = text(template.description);
      llm.templateFormat = text(template.template_format, "MUSTACHE").toUpperCase() as TemplateFormat;
      llm.direction = text(template.direction, "maximize") as Direction;
      llm.explanation = template.explanation !== false;
      llm.messages = (Array.isArray(template.messages) ? template.messages : []).map(
        (message: unknown) => {
          const value = isObject(message) ? message : {};
          return {
            id: rowId(),
            role: text(value.role, "user") as TemplateRole,
            content: contentText(value.content),
          };
        },
      );
      llm.choices = choiceRows(template.choices);
    }
  } else {
    const limits = isObject(definition.limits) ? definition.limits : {};
    draft.code = {
      code: text(definition.code),
      entry: text(definition.entry, "evaluate"),
      limits: {
        cpu_seconds: fieldText(limits.cpu_seconds ?? CODE_LIMITS.cpu_seconds.defaultValue),
        memory_mb: fieldText(limits.memory_mb ?? CODE_LIMITS.memory_mb.defaultValue),
        wall_seconds: fieldText(limits.wall_seconds ?? CODE_LIMITS.wall_seconds.defaultValue),
      },
    };
  }
  return draft;
}

/** A message's text: a string, or the text parts of a list of content parts. */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part: unknown) => (isObject(part) && typeof part.text === "string" ? part.text : ""))
    .join("");
}

/** Choices as stored (`{label: score}`, or a list of `{label, score}`) as rows. */
function choiceRows(choices: unknown): ChoiceRow[] {
  const pairs: [string, unknown][] = Array.isArray(choices)
    ? choices.map((item: unknown) =>
        isObject(item) ? [text(item.label), item.score] : [String(item), null],
      )
    : isObject(choices)
      ? Object.entries(choices)
      : [];
  return pairs.map(([label, score]) => ({
    id: rowId(),
    label,
    score: typeof score === "number" ? String(score) : "",
  }));
}

// What a draft reads ----------------------------------------------------------------------------

const MUSTACHE_VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const F_STRING_VARIABLE = /(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})/g;

/** The parameter names of `def <entry>(...)` in `code` (defaults and annotations dropped;
 * `*args` and `**kwargs` left out). */
export function entryParameters(code: string, entry: string): string[] {
  const escaped = entry.trim().replace(/[^A-Za-z0-9_]/g, "");
  if (!escaped) return [];
  const match = new RegExp(`^def\\s+${escaped}\\s*\\(([^)]*)\\)`, "m").exec(code);
  if (!match) return [];
  return match[1]
    .split(",")
    .map((part) => part.trim().split(/[:=]/)[0].trim())
    .filter((name) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && name !== "self");
}

/** The inputs the draft's evaluator reads by name, for a test's starting inputs. */
export function draftInputs(draft: DefinitionDraft): string[] {
  if (draft.kind === "BUILTIN") return [...(builtinEntry(draft.builtin.evaluator)?.inputs ?? [])];
  if (draft.kind === "CODE") return entryParameters(draft.code.code, draft.code.entry);
  const llm = draft.llm;
  if (llm.source === "builtin") return [...(judgeEntry(llm.judge)?.inputs ?? [])];
  if (llm.templateFormat === "NONE") return [];
  const pattern = llm.templateFormat === "MUSTACHE" ? MUSTACHE_VARIABLE : F_STRING_VARIABLE;
  const names = new Set<string>();
  for (const message of llm.messages) {
    for (const match of message.content.matchAll(pattern)) names.add(match[1]);
  }
  return [...names];
}
