// The form's drafts become the definitions the API takes, and stored definitions become drafts
// again (a new version starts from the one it follows); what was typed that the API can't take
// as it is (a number, JSON) is refused here under the field a 422 would name.
import { expect, test } from "vitest";

import { builtinEntry } from "./catalog";
import {
  buildDefinition,
  draftInputs,
  entryParameters,
  configFromFields,
  draftFromDefinition,
  newDraft,
  switchConfigMode,
} from "./definitionDraft";

test("a built-in's fields become its configuration, defaults left out", () => {
  const draft = newDraft("BUILTIN");
  draft.builtin = {
    evaluator: "contains",
    mode: "fields",
    fields: { words: " refund, order ,, ", require_all: true, case_sensitive: false },
    json: "{}",
  };
  expect(buildDefinition(draft)).toEqual({
    value: {
      kind: "BUILTIN",
      evaluator: "contains",
      config: { words: ["refund", "order"], require_all: true },
    },
  });
  draft.builtin = { evaluator: "not_empty", mode: "fields", fields: {}, json: "" };
  expect(buildDefinition(draft)).toEqual({ value: { kind: "BUILTIN", evaluator: "not_empty" } });
});

test("a field that is not what it must be is a problem under its own name", () => {
  const regex = builtinEntry("regex")!;
  expect(configFromFields(regex, {})).toEqual({
    problems: [{ field: "definition.config.pattern", message: "Pattern is required." }],
  });
  const length = builtinEntry("length_between")!;
  expect(configFromFields(length, { min_length: "2.5", max_length: "ten" })).toEqual({
    problems: [
      { field: "definition.config.min_length", message: "Minimum length must be a whole number." },
      { field: "definition.config.max_length", message: "Maximum length must be a number." },
    ],
  });
  const json = builtinEntry("json_valid")!;
  const schema = configFromFields(json, { schema: '{"type": ' });
  expect(schema.problems?.[0].field).toBe("definition.config.schema");
  expect(schema.problems?.[0].message).toMatch(/^Not valid JSON/);
  expect(configFromFields(json, { schema: '{"type": "object"}' })).toEqual({
    value: { schema: { type: "object" } },
  });
});

test("the JSON editor takes the whole configuration, and switching carries it across", () => {
  const draft = newDraft("BUILTIN");
  draft.builtin = {
    evaluator: "regex",
    mode: "fields",
    fields: { pattern: "#\\d+", case_sensitive: false },
    json: "",
  };
  const asJson = switchConfigMode(draft.builtin).value!;
  expect(asJson.mode).toBe("json");
  expect(JSON.parse(asJson.json)).toEqual({ pattern: "#\\d+", case_sensitive: false });

  const back = switchConfigMode({ ...asJson, json: '{"pattern": "x", "full_match": true}' });
  expect(back.value?.fields).toEqual({ pattern: "x", full_match: true });

  expect(switchConfigMode({ ...asJson, json: "[1]" }).problems?.[0]).toEqual({
    field: "definition.config",
    message: "Must be a JSON object ({ … }).",
  });
  expect(switchConfigMode({ ...asJson, json: '{"surprise": 1}' }).problems?.[0].message).toMatch(
    /keep editing it as JSON/,
  );
  draft.builtin = { ...asJson, json: '{"pattern": "a", "surprise": 1}' };
  expect(buildDefinition(draft).value).toEqual({
    kind: "BUILTIN",
    evaluator: "regex",
    config: { pattern: "a", surprise: 1 },
  });
});

test("a built-in judge needs its name, provider and model; parameters are a JSON object", () => {
  const draft = newDraft("LLM");
  draft.llm.judge = "hallucination";
  draft.llm.model = " gpt-4o ";
  draft.llm.parameters = '{"temperature": 0}';
  expect(buildDefinition(draft).value).toEqual({
    kind: "LLM",
    judge: "hallucination",
    provider: "OPENAI",
    model: "gpt-4o",
    invocation_parameters: { temperature: 0 },
  });
  draft.llm.parameters = "[0]";
  expect(buildDefinition(draft).problems).toEqual([
    { field: "definition.invocation_parameters", message: "Must be a JSON object ({ … })." },
  ]);
});

test("a template of one's own: messages, choices label -> score, blank score for none", () => {
  const draft = newDraft("LLM");
  const llm = draft.llm;
  llm.source = "custom";
  llm.choices = [
    { id: "a", label: "polite", score: "1" },
    { id: "b", label: "rude", score: "" },
    { id: "c", label: "", score: "" },
  ];
  const definition = buildDefinition(draft, "politeness").value!;
  expect(definition.judge).toBeUndefined();
  expect(definition.template).toEqual({
    name: "politeness",
    messages: [
      { role: "system", content: llm.messages[0].content },
      { role: "user", content: "<answer>\n{{output}}\n</answer>" },
    ],
    template_format: "MUSTACHE",
    choices: { polite: 1, rude: null },
    direction: "maximize",
    explanation: true,
  });

  llm.choices = [
    { id: "a", label: "polite", score: "high" },
    { id: "b", label: "polite", score: "0" },
  ];
  expect(buildDefinition(draft).problems).toEqual([
    {
      field: "definition.template.choices.0",
      message: "The score of “polite” must be a number, or blank for none.",
    },
    { field: "definition.template.choices.1", message: "The label “polite” is named twice." },
  ]);
});

test("code: limits left at their defaults are left out; a limit must be a number", () => {
  const draft = newDraft("CODE");
  draft.code.entry = " score ";
  expect(buildDefinition(draft).value).toEqual({
    kind: "CODE",
    code: draft.code.code,
    entry: "score",
  });
  draft.code.limits.memory_mb = "512";
  expect(buildDefinition(draft).value?.limits).toEqual({ memory_mb: 512 });
  draft.code.limits.cpu_seconds = "lots";
  expect(buildDefinition(draft).problems).toEqual([
    { field: "definition.limits.cpu_seconds", message: "CPU seconds must be a number." },
  ]);
});

test("a stored definition becomes a draft that builds the same definition", () => {
  const stored = [
    {
      kind: "BUILTIN" as const,
      definition: {
        kind: "BUILTIN",
        evaluator: "contains",
        config: { words: ["a", "b"], require_all: true },
      },
    },
    {
      kind: "BUILTIN" as const,
      definition: { kind: "BUILTIN", evaluator: "json_valid", config: { schema: { type: "array" } } },
    },
    {
      kind: "LLM" as const,
      definition: { kind: "LLM", judge: "toxicity", provider: "ANTHROPIC", model: "claude" },
    },
    {
      kind: "LLM" as const,
      definition: {
        kind: "LLM",
        provider: "OPENAI",
        model: "gpt-4o",
        invocation_parameters: { temperature: 0.5 },
        template: {
          name: "mine",
          description: "is it kind",
          messages: [{ role: "user", content: "Kind? {{output}}" }],
          template_format: "MUSTACHE",
          choices: { kind: 1, unkind: 0 },
          direction: "maximize",
          explanation: false,
        },
      },
    },
    {
      kind: "CODE" as const,
      definition: {
        kind: "CODE",
        code: "def check(output):\n    return 1\n",
        entry: "check",
        limits: { wall_seconds: 3 },
      },
    },
  ];
  for (const { kind, definition } of stored) {
    expect(buildDefinition(draftFromDefinition(kind, definition), "x").value).toEqual(definition);
  }
  // A configuration the fields can't show opens in the JSON editor.
  const odd = draftFromDefinition("BUILTIN", {
    kind: "BUILTIN",
    evaluator: "regex",
    config: { pattern: "x", extra: true },
  });
  expect(odd.builtin.mode).toBe("json");
});

test("what a draft reads: a built-in's inputs, a template's variables, code's parameters", () => {
  const draft = newDraft("BUILTIN");
  draft.builtin.evaluator = "levenshtein";
  expect(draftInputs(draft)).toEqual(["output", "expected"]);

  draft.kind = "LLM";
  draft.llm.judge = "hallucination";
  expect(draftInputs(draft)).toEqual(["input", "context", "output"]);
  draft.llm.source = "custom";
  draft.llm.messages = [
    { id: "a", role: "system", content: "Judge {{ input }} against {{expected}}" },
    { id: "b", role: "user", content: "{{output}} and {{input}}, not {output}" },
  ];
  expect(draftInputs(draft)).toEqual(["input", "expected", "output"]);
  draft.llm.templateFormat = "F_STRING";
  expect(draftInputs(draft)).toEqual(["output"]);

  draft.kind = "CODE";
  draft.code.code = "import re\n\ndef score(output: str, expected=None, *args, **kw):\n  return 1\n";
  draft.code.entry = "score";
  expect(draftInputs(draft)).toEqual(["output", "expected"]);
  expect(entryParameters(draft.code.code, "evaluate")).toEqual([]);
});
