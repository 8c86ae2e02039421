import { describe, expect, it } from "vitest";

import { countLabel, durationLabel, toPoints, totalsOf } from "./series";
import type { TimeSeriesBucketView } from "./series";

function bucket(timestamp: string, values: Partial<TimeSeriesBucketView> = {}) {
  return {
    timestamp,
    traceCount: 0,
    errorCount: 0,
    latencyMsP50: null,
    latencyMsP90: null,
    latencyMsP99: null,
    tokenCountPrompt: 0,
    tokenCountCompletion: 0,
    costTotal: 0,
    ...values,
  };
}

describe("toPoints", () => {
  it("keys points by time in order and keeps empty latencies empty", () => {
    const points = toPoints([
      bucket("2025-01-01T00:05:00Z", { traceCount: 3, errorCount: 1, latencyMsP50: 120 }),
      bucket("2025-01-01T00:00:00Z"),
    ]);
    expect(points.map((point) => point.time)).toEqual([
      Date.parse("2025-01-01T00:00:00Z"),
      Date.parse("2025-01-01T00:05:00Z"),
    ]);
    expect(points[0]).toMatchObject({ traces: 0, p50: null, p99: null });
    expect(points[1]).toMatchObject({ traces: 3, errors: 1, successes: 2, p50: 120 });
  });
});

describe("totalsOf", () => {
  it("sums traces, errors, tokens and cost", () => {
    const totals = totalsOf(
      toPoints([
        bucket("2025-01-01T00:00:00Z", {
          traceCount: 3,
          errorCount: 1,
          tokenCountPrompt: 100,
          tokenCountCompletion: 20,
          costTotal: 0.5,
        }),
        bucket("2025-01-01T00:05:00Z", {
          traceCount: 1,
          tokenCountPrompt: 10,
          tokenCountCompletion: 5,
          costTotal: 0.25,
        }),
      ]),
    );
    expect(totals).toEqual({
      traces: 4,
      errors: 1,
      errorRate: 0.25,
      promptTokens: 110,
      completionTokens: 25,
      cost: 0.75,
    });
  });

  it("has no error rate without traces", () => {
    expect(totalsOf(toPoints([bucket("2025-01-01T00:00:00Z")])).errorRate).toBeNull();
  });
});

describe("durationLabel", () => {
  it("names a bucket's width in its largest whole unit", () => {
    expect(durationLabel(30)).toBe("30 s");
    expect(durationLabel(300)).toBe("5 min");
    expect(durationLabel(7200)).toBe("2 h");
    expect(durationLabel(604_800)).toBe("7 d");
  });
});

describe("countLabel", () => {
  it("says one thing in the singular and more in the plural", () => {
    expect(countLabel(1, "trace", String)).toBe("1 trace");
    expect(countLabel(0, "error", String)).toBe("0 errors");
    expect(countLabel(2, "trace", String)).toBe("2 traces");
  });
});
