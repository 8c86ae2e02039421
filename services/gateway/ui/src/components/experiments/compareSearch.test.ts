import { expect, test } from "vitest";

import {
  comparedProblem,
  comparisonFilter,
  readCompareState,
  withBaseline,
  without,
  writeCompareState,
} from "./compareSearch";

test("the address round-trips the whole state", () => {
  const query =
    "experimentId=A&experimentId=B&experimentId=C&q=refund&evaluator=accuracy" +
    "&comparison=REGRESSED&versus=C&after=c1&after=c2";

  const state = readCompareState(new URLSearchParams(query));

  expect(state).toEqual({
    experimentIds: ["A", "B", "C"],
    search: "refund",
    filter: { evaluator: "accuracy", comparison: "REGRESSED", versus: "C" },
    cursors: ["c1", "c2"],
  });
  expect(writeCompareState(state).toString()).toBe(query);
  expect(comparisonFilter(state)).toEqual({
    annotationName: "accuracy",
    comparison: "REGRESSED",
    experimentId: "C",
  });
});

test("nonsense in the address is ignored", () => {
  const state = readCompareState(
    new URLSearchParams(
      "experimentId=A&experimentId=A&experimentId=B&evaluator=x&comparison=WORSE&versus=Z",
    ),
  );

  expect(state.experimentIds).toEqual(["A", "B"]);
  expect(state.filter).toBeNull();
});

test("a filter against the baseline itself compares with any experiment", () => {
  const state = readCompareState(
    new URLSearchParams("experimentId=A&experimentId=B&evaluator=x&comparison=EQUAL&versus=A"),
  );

  expect(state.filter).toEqual({ evaluator: "x", comparison: "EQUAL", versus: null });
});

test("switching the baseline or removing an experiment starts from page 1", () => {
  const state = readCompareState(
    new URLSearchParams(
      "experimentId=A&experimentId=B&experimentId=C&evaluator=x&comparison=IMPROVED&versus=B&after=c1",
    ),
  );

  const switched = withBaseline(state, "B");
  const removed = without(state, "B");

  expect(switched.experimentIds).toEqual(["B", "A", "C"]);
  expect(switched.filter?.versus).toBeNull();
  expect(switched.cursors).toEqual([]);
  expect(removed.experimentIds).toEqual(["A", "C"]);
  expect(removed.cursors).toEqual([]);
});

test("2 to 8 experiments can be compared", () => {
  expect(comparedProblem(["A"])).toMatch(/Choose 2 to 8/);
  expect(comparedProblem(["A", "B"])).toBeNull();
  expect(comparedProblem("ABCDEFGHI".split(""))).toMatch(/At most 8/);
});
