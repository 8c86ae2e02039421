// What a test runs on, from the test panel's fields: inputs typed as JSON, or a dataset
// example or a stored span with those inputs laid over it, through an input mapping. And which
// of a refusal's problems the panel shows itself.
import type { FieldProblem, TestMaterial } from "../../api/evaluators";
import { parseJsonObject } from "./definitionDraft";
import { mappingFromRows } from "./inputMapping";
import type { MappingRow } from "./inputMapping";
import type { ProblemMap } from "./problems";

export type TestSource = "inputs" | "example" | "span";

export interface TestFields {
  source: TestSource;
  inputs: string;
  exampleId: string;
  project: string;
  spanId: string;
  rows: readonly MappingRow[];
}

/** The material the fields describe, or the problems of what was typed (by field). Inputs are
 * sent on their own, or laid over an example or span when any are given. */
export function buildMaterial(fields: TestFields): {
  material: TestMaterial;
  problems: FieldProblem[];
} {
  const problems: FieldProblem[] = [];
  const material: TestMaterial = {};
  const typed = parseJsonObject(fields.inputs, "inputs");
  if (typed.problems) problems.push(...typed.problems);
  else if (fields.source === "inputs" || Object.keys(typed.value).length) {
    material.inputs = typed.value;
  }
  if (fields.source === "example") {
    const exampleId = fields.exampleId.trim();
    if (!exampleId) problems.push({ field: "dataset_example_id", message: "Required." });
    material.dataset_example_id = exampleId;
  } else if (fields.source === "span") {
    const project = fields.project.trim();
    const spanId = fields.spanId.trim();
    if (!project) problems.push({ field: "project", message: "Required." });
    if (!spanId) problems.push({ field: "span_id", message: "Required." });
    material.project = project;
    material.span_id = spanId;
  }
  const mapping = mappingFromRows(fields.rows);
  problems.push(...mapping.problems);
  if (Object.keys(mapping.mapping).length) material.input_mapping = mapping.mapping;
  return { material, problems };
}

/** `{"output": "", "expected": ""}` for the inputs an evaluator reads, keeping the values of
 * `current` (what was typed) for those it has. */
export function inputsTemplate(names: readonly string[], current: string): string {
  let values: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(current) as unknown;
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      values = parsed as Record<string, unknown>;
    }
  } catch {
    // not JSON (yet): start afresh
  }
  const filled: Record<string, unknown> = {};
  for (const name of names) filled[name] = values[name] ?? "";
  return JSON.stringify(filled, null, 2);
}

/** The fields the panel shows a problem beside. */
export const PANEL_FIELDS = ["inputs", "dataset_example_id", "project", "span_id", "input_mapping"];

function isDefinitionField(field: string): boolean {
  return field === "definition" || field.startsWith("definition.");
}

/** The problems no field of the panel shows: the evaluator or version named, the body as a
 * whole; and the definition's, unless a form shows those beside its own fields (then one line
 * says so). */
export function panelProblems(problems: ProblemMap, formShowsDefinition: boolean): string[] {
  const rest = Object.entries(problems).filter(
    ([key]) => !PANEL_FIELDS.some((field) => key === field || key.startsWith(`${field}.`)),
  );
  const texts = rest
    .filter(([key]) => !(formShowsDefinition && isDefinitionField(key)))
    .map(([key, text]) => (isDefinitionField(key) ? `${key}: ${text}` : text));
  if (formShowsDefinition && rest.some(([key]) => isDefinitionField(key))) {
    texts.push("The definition was refused: see the messages beside its fields.");
  }
  return texts;
}
