// A test's material comes from the panel's fields; what the panel can't place of a refusal is
// said in the panel (the definition's, once, when a form shows them beside its fields).
import { expect, test } from "vitest";

import { mappingRow } from "./inputMapping";
import { buildMaterial, inputsTemplate, panelProblems } from "./testMaterial";
import type { TestFields } from "./testMaterial";

const FIELDS: TestFields = {
  source: "inputs",
  inputs: '{"output": "Paris"}',
  exampleId: " RGF0YXNldEV4YW1wbGU6MQ== ",
  project: "support",
  spanId: "",
  rows: [],
};

test("inputs alone, or laid over an example or a span when any are given", () => {
  expect(buildMaterial(FIELDS)).toEqual({ material: { inputs: { output: "Paris" } }, problems: [] });
  expect(buildMaterial({ ...FIELDS, inputs: "" }).material).toEqual({ inputs: {} });

  const example = buildMaterial({
    ...FIELDS,
    source: "example",
    inputs: "  ",
    rows: [mappingRow("expected", "expected.answer")],
  });
  expect(example).toEqual({
    material: {
      dataset_example_id: "RGF0YXNldEV4YW1wbGU6MQ==",
      input_mapping: { expected: "expected.answer" },
    },
    problems: [],
  });
  expect(buildMaterial({ ...FIELDS, source: "example" }).material.inputs).toEqual({
    output: "Paris",
  });
});

test("what is missing or not JSON is a problem under its field", () => {
  const span = buildMaterial({ ...FIELDS, source: "span", project: " ", inputs: "[1]" });
  expect(span.problems).toEqual([
    { field: "inputs", message: "Must be a JSON object ({ … })." },
    { field: "project", message: "Required." },
    { field: "span_id", message: "Required." },
  ]);
  const example = buildMaterial({ ...FIELDS, source: "example", exampleId: "" });
  expect(example.problems).toEqual([{ field: "dataset_example_id", message: "Required." }]);
  const mapping = buildMaterial({ ...FIELDS, rows: [mappingRow("", "output")] });
  expect(mapping.problems).toEqual([
    { field: "input_mapping.0", message: "Name the input this path fills." },
  ]);
});

test("the inputs it reads are filled in, keeping what was typed", () => {
  expect(JSON.parse(inputsTemplate(["output", "expected"], '{"output": "x", "other": 1}'))).toEqual(
    { output: "x", expected: "" },
  );
  expect(JSON.parse(inputsTemplate(["output"], "not json"))).toEqual({ output: "" });
});

test("the panel says what its fields don't, and the definition's problems once for a form", () => {
  const problems = {
    inputs: "Not valid JSON",
    "input_mapping.output": "a path starts with …",
    evaluator_version: "evaluator x has no version 7 (its latest is 2)",
    "definition.code": "line 1: invalid syntax",
    "": "give what to evaluate",
  };
  expect(panelProblems(problems, true)).toEqual([
    "evaluator x has no version 7 (its latest is 2)",
    "give what to evaluate",
    "The definition was refused: see the messages beside its fields.",
  ]);
  expect(panelProblems(problems, false)).toEqual([
    "evaluator x has no version 7 (its latest is 2)",
    "definition.code: line 1: invalid syntax",
    "give what to evaluate",
  ]);
});
