import { describe, expect, it } from "vitest";

import {
  FALLBACK_RANGE_SECONDS,
  MAX_BUCKETS,
  MIN_RANGE_SECONDS,
  metricsWindow,
  rangeSeconds,
} from "./window";

const NOW = Date.parse("2025-03-14T15:09:26.535Z");

describe("rangeSeconds", () => {
  it("reads a preset's length", () => {
    expect(rangeSeconds("24h", NOW, null)).toBe(86_400);
    expect(rangeSeconds("7d", NOW, "2020-01-01T00:00:00Z")).toBe(7 * 86_400);
  });

  it("reaches back to the project's creation for all time", () => {
    expect(rangeSeconds("all", NOW, "2025-03-04T15:09:26.535Z")).toBe(10 * 86_400);
  });

  it("falls back to 30 days without a creation time", () => {
    expect(rangeSeconds("all", NOW, null)).toBe(FALLBACK_RANGE_SECONDS);
    expect(rangeSeconds("all", NOW, "not a date")).toBe(FALLBACK_RANGE_SECONDS);
  });

  it("never charts less than the shortest window", () => {
    expect(rangeSeconds("all", NOW, new Date(NOW - 5_000).toISOString())).toBe(MIN_RANGE_SECONDS);
  });
});

describe("metricsWindow", () => {
  it.each([
    [15 * 60, 60],
    [3600, 60],
    [86_400, 15 * 60],
    [7 * 86_400, 2 * 3600],
    [30 * 86_400, 12 * 3600],
    [365 * 86_400, 7 * 86_400],
  ])("charts %i seconds in buckets of %i seconds", (range, interval) => {
    expect(metricsWindow(range, NOW).interval).toBe(interval);
  });

  it("covers the whole range, now included, in at most the most buckets", () => {
    for (const range of [900, 3600, 86_400, 604_800, 2_592_000, 31_536_000, 3_153_600_000]) {
      const window = metricsWindow(range, NOW);
      const start = Date.parse(window.start);
      const end = Date.parse(window.end);
      expect(start).toBeLessThanOrEqual(NOW - range * 1000);
      expect(end).toBeGreaterThan(NOW);
      expect(window.buckets).toBeLessThanOrEqual(MAX_BUCKETS);
      expect((end - start) / 1000).toBe(window.buckets * window.interval);
    }
  });

  it("aligns the bounds to the interval, so they hold until the bucket closes", () => {
    const first = metricsWindow(86_400, NOW);
    const later = metricsWindow(86_400, NOW + 60_000);
    expect(later).toEqual(first);
    expect(Date.parse(first.start) % (first.interval * 1000)).toBe(0);
  });
});
