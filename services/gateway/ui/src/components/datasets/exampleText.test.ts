// The example editor refuses text that is not a JSON object before anything is sent, and the
// tables preview an example's objects on one line.
import { expect, test } from "vitest";

import { jsonPreview, parseJsonObject, rowNumber } from "./exampleText";

test("an editor's text must be a JSON object", () => {
  expect(parseJsonObject('{"a": [1, 2]}')).toEqual({ value: { a: [1, 2] } });
  expect(parseJsonObject('{"a": ')).toMatchObject({
    problem: expect.stringMatching(/^Not valid JSON: /) as string,
  });
  for (const text of ["[1]", "3", '"text"', "null"]) {
    expect(parseJsonObject(text)).toEqual({ problem: "Must be a JSON object ({ … })." });
  }
});

test("a preview lists an object's keys with their values", () => {
  expect(jsonPreview({ question: "2+2?", n: 4, tags: ["a"] })).toBe(
    'question: 2+2? · n: 4 · tags: ["a"]',
  );
  expect(jsonPreview({})).toBe("{}");
  expect(jsonPreview(null)).toBe("");
});

test("a version is numbered by the row its GlobalID names", () => {
  expect(rowNumber("RGF0YXNldFZlcnNpb246Mg==")).toBe("2");
  expect(rowNumber("not base64!")).toBe("not base64!");
});
