// Mapping rows become the JSON object the API takes; rows it could not express are refused.
import { expect, test } from "vitest";

import { mappingFromRows, mappingRow, rowField, rowsFromMapping } from "./inputMapping";

test("rows become a mapping; blank rows are left out", () => {
  const rows = [
    mappingRow(" expected ", " expected.answer "),
    mappingRow("", ""),
    mappingRow("output", "output"),
  ];
  expect(mappingFromRows(rows)).toEqual({
    mapping: { expected: "expected.answer", output: "output" },
    problems: [],
  });
  const back = rowsFromMapping({ expected: "expected.answer" });
  expect(back.map(({ input, path }) => [input, path])).toEqual([["expected", "expected.answer"]]);
});

test("an input mapped twice, a path with no input and an input with no path are refused", () => {
  const rows = [
    mappingRow("expected", "expected.a"),
    mappingRow("expected", "expected.b"),
    mappingRow("", "output"),
    mappingRow("metadata", ""),
  ];
  expect(mappingFromRows(rows).problems).toEqual([
    { field: "input_mapping.expected", message: "expected is mapped twice." },
    { field: "input_mapping.2", message: "Name the input this path fills." },
    {
      field: "input_mapping.metadata",
      message: "Give the path metadata is read from (e.g. expected.answer).",
    },
  ]);
  expect(rows.map(rowField)).toEqual([
    "input_mapping.expected",
    "input_mapping.expected",
    "input_mapping.2",
    "input_mapping.metadata",
  ]);
});
