// The upload dialog's preview and column mapping: what a user sees of a CSV or JSONL file before
// sending it, the refusals that save a round trip, and the form fields a mapping becomes.
import { describe, expect, test } from "vitest";

import {
  fileKind,
  guessMapping,
  keyFields,
  parseCsv,
  previewText,
  suggestedName,
  uploadProblem,
} from "./filePreview";

describe("CSV", () => {
  test("quoted fields keep commas, newlines and doubled quotes", () => {
    const text = 'question,answer\r\n"Hi, there","Say ""hello""\nback"\r\nplain,row\r\n';

    expect(parseCsv(text, 10, true)).toEqual([
      ["question", "answer"],
      ["Hi, there", 'Say "hello"\nback'],
      ["plain", "row"],
    ]);
  });

  test("the header and first rows are previewed, a byte-order mark and blank lines ignored", () => {
    const text = "\ufeffquestion,answer,split\n\n2+2?,4,train\nCapital?,Paris,test\n";

    expect(previewText("csv", text, true)).toEqual({
      preview: {
        kind: "csv",
        columns: ["question", "answer", "split"],
        rows: [
          ["2+2?", "4", "train"],
          ["Capital?", "Paris", "test"],
        ],
      },
    });
  });

  test("a row cut off by the preview's limit is left out; a whole file's last line is kept", () => {
    expect(previewText("csv", "q,a\n1,2\n3,", false)).toMatchObject({
      preview: { rows: [["1", "2"]] },
    });
    expect(previewText("csv", "q,a\n1,2\n3,4", true)).toMatchObject({
      preview: { rows: [["1", "2"], ["3", "4"]] },
    });
  });

  test("at most five rows are previewed", () => {
    const text = ["n", ...Array.from({ length: 20 }, (_, index) => String(index))].join("\n");

    const result = previewText("csv", text, true);

    expect("preview" in result && result.preview.rows).toHaveLength(5);
  });

  test("a header that can't name columns, and a row of the wrong width, are refused", () => {
    expect(previewText("csv", "", true)).toEqual({
      problem: "The file is empty: a CSV file needs a header row.",
    });
    expect(previewText("csv", "q,,a\n1,2,3\n", true)).toEqual({
      problem: "Column 2 of the header has no name.",
    });
    expect(previewText("csv", "q,a,q\n1,2,3\n", true)).toEqual({
      problem: "The header names “q” twice.",
    });
    expect(previewText("csv", "q,a\n1,2\n3\n", true)).toEqual({
      problem: "Line 3 has 1 values; the header has 2.",
    });
  });
});

describe("JSONL", () => {
  test("the columns are the keys of the first objects, in order of appearance", () => {
    const text = '{"question": "2+2?", "answer": 4}\n\n{"question": "Hi", "meta": {"a": 1}}\n';

    expect(previewText("jsonl", text, true)).toEqual({
      preview: {
        kind: "jsonl",
        columns: ["question", "answer", "meta"],
        rows: [
          ["2+2?", "4", ""],
          ["Hi", "", '{"a":1}'],
        ],
      },
    });
  });

  test("a line that is not a JSON object is refused with its number", () => {
    expect(previewText("jsonl", '{"q": 1}\n{"q": \n', true)).toMatchObject({
      problem: expect.stringMatching(/^Line 2 is not JSON: /) as string,
    });
    expect(previewText("jsonl", '{"q": 1}\n[1, 2]\n', true)).toEqual({
      problem: "Line 2 is not a JSON object.",
    });
    expect(previewText("jsonl", "\n\n", true)).toEqual({
      problem: "The file holds no JSON object.",
    });
  });

  test("a last line cut off by the preview's limit is not parsed", () => {
    expect(previewText("jsonl", '{"q": 1}\n{"q": 2, "a', false)).toMatchObject({
      preview: { columns: ["q"], rows: [["1"]] },
    });
  });
});

describe("mapping", () => {
  test("columns are guessed by their usual names, the rest are inputs", () => {
    expect(guessMapping(["question", "context", "answer", "split", "id"])).toEqual({
      question: "input",
      context: "input",
      answer: "output",
      split: "split",
      id: "metadata",
    });
  });

  test("a mapping becomes the upload form's key fields in column order", () => {
    const columns = ["q", "a", "topic", "split", "notes"];

    expect(
      keyFields(columns, {
        q: "input",
        a: "output",
        topic: "metadata",
        split: "split",
        notes: "ignore",
      }),
    ).toEqual({
      "input_keys[]": ["q"],
      "output_keys[]": ["a"],
      "metadata_keys[]": ["topic"],
      "split_keys[]": ["split"],
    });
  });

  test("an upload needs a name and an input column", () => {
    expect(uploadProblem(" ", ["q"], { q: "input" })).toBe("Give the dataset a name.");
    expect(uploadProblem("x".repeat(257), ["q"], { q: "input" })).toBe(
      "The name can be at most 256 characters.",
    );
    expect(uploadProblem("qa", ["q", "a"], { q: "output", a: "ignore" })).toBe(
      "Choose at least one input column.",
    );
    expect(uploadProblem("qa", ["q"], { q: "input" })).toBeNull();
  });

  test("the file's name gives its kind and the dataset's suggested name", () => {
    expect(fileKind("QA.CSV")).toBe("csv");
    expect(fileKind("qa.ndjson")).toBe("jsonl");
    expect(fileKind("qa.xlsx")).toBeNull();
    expect(suggestedName("support-questions.jsonl")).toBe("support-questions");
  });
});
