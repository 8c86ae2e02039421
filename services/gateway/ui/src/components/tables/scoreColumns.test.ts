import type { AnnotationSummaryView } from "../AnnotationChips";
import { otherAnnotations, scoreCell, scoreColumns } from "./scoreColumns";

function summary(name: string, overrides: Partial<AnnotationSummaryView> = {}) {
  return { name, count: 1, meanScore: 1, labelFractions: [], ...overrides };
}

function rowWith(...names: string[]) {
  return { annotationSummaries: names.map((name) => summary(name)) };
}

describe("scoreColumns", () => {
  it("gives a column to the names on the most rows first, then by name", () => {
    const rows = [
      rowWith("relevance", "correctness"),
      rowWith("correctness", "toxicity"),
      rowWith("correctness", "relevance"),
      rowWith("b-tone"),
    ];
    expect(scoreColumns(rows)).toEqual(["correctness", "relevance", "b-tone", "toxicity"]);
  });

  it("keeps at most the given number of columns", () => {
    const rows = [rowWith("a", "b", "c", "d", "e", "f", "g"), rowWith("g")];
    expect(scoreColumns(rows)).toEqual(["g", "a", "b", "c", "d"]);
    expect(scoreColumns(rows, 2)).toEqual(["g", "a"]);
    expect(scoreColumns([])).toEqual([]);
  });
});

describe("scoreCell", () => {
  it("shows the mean score, with the summary in its title", () => {
    const cell = scoreCell(
      [
        summary("correctness", {
          count: 4,
          meanScore: 0.75,
          labelFractions: [
            { label: "incorrect", fraction: 0.25 },
            { label: "correct", fraction: 0.75 },
          ],
        }),
      ],
      "correctness",
    );
    expect(cell).toEqual({
      text: "0.75",
      title: "correctness: 4 annotations, mean score 0.750, most often correct (75%)",
      isLabel: false,
    });
  });

  it("shows the most common label when no annotation has a score", () => {
    const cell = scoreCell(
      [
        summary("tone", {
          meanScore: null,
          labelFractions: [
            { label: "friendly", fraction: 0.6 },
            { label: "curt", fraction: 0.4 },
          ],
        }),
      ],
      "tone",
    );
    expect(cell?.text).toBe("friendly");
    expect(cell?.isLabel).toBe(true);
    expect(scoreCell([summary("tone", { meanScore: null })], "tone")?.text).toBe("–");
    expect(scoreCell([summary("tone")], "correctness")).toBeNull();
  });

  it("leaves the names without a column to the chips", () => {
    const summaries = [summary("a"), summary("b"), summary("c")];
    expect(otherAnnotations(summaries, ["a", "c"]).map((one) => one.name)).toEqual(["b"]);
  });
});
