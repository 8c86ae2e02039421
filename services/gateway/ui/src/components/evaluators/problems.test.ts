// A 422 is placed beside the field it names; code problems give their line, template problems
// their unknown variables; what no field shows is kept for the form's own message.
import { expect, test } from "vitest";

import { EvaluatorFieldError } from "../../api/evaluators";
import {
  codePosition,
  problemMap,
  problemUnder,
  unknownVariables,
  unplacedProblems,
  withoutFieldPrefix,
} from "./problems";

const refusal = new EvaluatorFieldError("definition.code: …", [
  { field: "definition.code", message: "`definition.code`: the code can't be saved: line 2, column 5: invalid syntax" },
  { field: "definition.config.pattern", message: "`definition.config.pattern`: missing ) at position 6" },
  { field: "", message: "give what to evaluate: `inputs`, `dataset_example_id`, or `project` and `span_id`" },
]);

test("a refusal's messages are kept by field, without the field they start with", () => {
  const problems = problemMap([{ field: "name", message: "Required." }], refusal);
  expect(problems["definition.code"]).toBe(
    "the code can't be saved: line 2, column 5: invalid syntax",
  );
  expect(problems.name).toBe("Required.");
  expect(problemUnder(problems, "definition.config")).toBe("missing ) at position 6");
  expect(problemUnder(problems, "definition.con")).toBeUndefined();
  expect(unplacedProblems(problems, ["name", "definition"])).toEqual([
    "give what to evaluate: `inputs`, `dataset_example_id`, or `project` and `span_id`",
  ]);
  expect(unplacedProblems(problems, ["name", "definition.code"])).toEqual([
    "definition.config.pattern: missing ) at position 6",
    "give what to evaluate: `inputs`, `dataset_example_id`, or `project` and `span_id`",
  ]);
  expect(problemMap([], new Error("not a 422"))).toEqual({});
  expect(withoutFieldPrefix("no prefix here")).toBe("no prefix here");
});

test("a code problem's line and column are read out", () => {
  expect(codePosition("the code can't be saved: line 12, column 5: invalid syntax")).toEqual({
    line: 12,
    column: 5,
  });
  expect(codePosition("line 3: unexpected indent")).toEqual({ line: 3, column: null });
  expect(codePosition("the code defines no top-level function named 'evaluate'")).toBeNull();
  expect(codePosition(undefined)).toBeNull();
});

test("a template's unknown variables are read out by message", () => {
  const message =
    "messages[0] uses the unknown variable 'ouput'; a judge template may use input, output; " +
    "messages[1] uses the unknown variable 'question'; messages[1] uses the unknown variable " +
    `"it's"`;
  expect(unknownVariables(message)).toEqual(
    new Map([
      [0, ["ouput"]],
      [1, ["question", "it's"]],
    ]),
  );
  expect(unknownVariables("choices must name at least 2 labels, not 1").size).toBe(0);
});
