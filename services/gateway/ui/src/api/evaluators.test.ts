// A 422's problems keep the field each names, as a dotted path under the body.
import { expect, test } from "vitest";

import { fieldProblems } from "./evaluators";

test("each problem of a 422 names its field under the body", () => {
  const body = JSON.stringify({
    detail: [
      { loc: ["body", "definition", "config", "pattern"], msg: "missing )", type: "value_error" },
      { loc: ["body", "input_mapping", "output"], msg: "bad path", type: "value_error" },
      { loc: ["body", ""], msg: "give what to evaluate", type: "value_error" },
      { loc: ["query", "cursor"], msg: "bad cursor", type: "value_error" },
      { loc: ["body", "choices", 0], msg: "no", type: "value_error" },
    ],
  });
  expect(fieldProblems(body)).toEqual([
    { field: "definition.config.pattern", message: "missing )" },
    { field: "input_mapping.output", message: "bad path" },
    { field: "", message: "give what to evaluate" },
    { field: "cursor", message: "bad cursor" },
    { field: "choices.0", message: "no" },
  ]);
  expect(fieldProblems("Evaluator x not found")).toEqual([]);
  expect(fieldProblems('{"detail": "text"}')).toEqual([]);
});
