// A profile reads as what the evaluator reads and what it gives, in the library's table.
import { expect, test } from "vitest";

import { givesText, readsText } from "./profileText";

test("what an evaluator reads: its inputs, or what code's parameters name", () => {
  expect(readsText({ inputs: ["output", "expected"], choices: null, direction: "maximize" })).toBe(
    "output, expected",
  );
  expect(readsText({ inputs: null, choices: null, direction: "maximize" })).toBe(
    "what its parameters name",
  );
  expect(readsText(null)).toBe("–");
});

test("what it gives: labels with their scores and which way is better", () => {
  const choices = [
    { label: "hallucinated", score: 1 },
    { label: "grounded", score: 0 },
    { label: "unsure", score: null },
  ];
  expect(givesText({ inputs: [], choices, direction: "minimize" })).toBe(
    "hallucinated 1 · grounded 0 · unsure (lower is better)",
  );
  expect(givesText({ inputs: [], choices: null, direction: "maximize" })).toBe(
    "a score or label (higher is better)",
  );
});
