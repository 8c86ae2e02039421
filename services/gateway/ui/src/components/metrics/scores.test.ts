import { bucketTimes, formatScore, scoreChart } from "./scores";
import type { MetricsWindow } from "./window";

const WINDOW: MetricsWindow = {
  start: "2025-01-01T12:00:00.000Z",
  end: "2025-01-01T12:04:00.000Z",
  interval: 60,
  buckets: 4,
};
const at = (minute: number) => Date.parse(`2025-01-01T12:0${minute}:00.000Z`);

describe("scoreChart", () => {
  it("has a point per bucket of the window", () => {
    expect(bucketTimes(WINDOW)).toEqual([at(0), at(1), at(2), at(3)]);
  });

  it("draws a line per name with scores, null in the buckets without it", () => {
    const chart = scoreChart(
      [
        {
          name: "correctness.v2",
          points: [
            { timestamp: "2025-01-01T12:01:00+00:00", count: 2, scoreMean: 0.5 },
            { timestamp: "2025-01-01T12:03:00Z", count: 1, scoreMean: 1 },
          ],
        },
        {
          name: "tone",
          points: [{ timestamp: "2025-01-01T12:00:00Z", count: 3, scoreMean: null }],
        },
        {
          name: "relevance",
          points: [{ timestamp: "2025-01-01T12:02:00Z", count: 1, scoreMean: 0.25 }],
        },
      ],
      WINDOW,
    );
    expect(chart.lines).toEqual([
      { key: "score0", name: "correctness.v2", count: 3 },
      { key: "score1", name: "relevance", count: 1 },
    ]);
    expect(chart.labelOnly).toEqual(["tone"]);
    expect(chart.total).toBe(7);
    expect(chart.points).toEqual([
      { time: at(0), score0: null, score1: null },
      { time: at(1), score0: 0.5, score1: null },
      { time: at(2), score0: null, score1: 0.25 },
      { time: at(3), score0: 1, score1: null },
    ]);
  });

  it("ignores a point outside the window's buckets", () => {
    const chart = scoreChart(
      [{ name: "x", points: [{ timestamp: "2025-01-01T11:00:00Z", count: 1, scoreMean: 1 }] }],
      WINDOW,
    );
    expect(chart.points.every((point) => point.score0 === null)).toBe(true);
  });

  it("writes scores briefly", () => {
    expect(formatScore(1)).toBe("1");
    expect(formatScore(0.756)).toBe("0.76");
  });
});
