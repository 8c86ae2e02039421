// From `scoreSeries` to the Scores chart: one line per annotation name with scores, its mean
// score in every bucket of the window (null where the bucket has none of it, so the chart keys
// its points by bucket like the other charts). Lines are keyed `score0`, `score1`... because an
// annotation name may hold dots, which recharts would read as a path into the point.
import type { MetricsWindow } from "./window";

/** The fields of a `ScoreSeries` the chart reads. */
export interface ScoreSeriesView {
  name: string;
  points: readonly { timestamp: string; count: number; scoreMean?: number | null }[];
}

export interface ScoreLine {
  /** The key of its values in each point. */
  key: string;
  name: string;
  /** Annotations of the name in the window. */
  count: number;
}

export type ScorePoint = { time: number } & Record<string, number | null>;

export interface ScoreChartData {
  points: ScorePoint[];
  lines: ScoreLine[];
  /** Names whose annotations in the window have labels but no score: nothing to draw. */
  labelOnly: string[];
  /** Annotations of every name in the window. */
  total: number;
}

/** The start of every bucket of `window`, in milliseconds. */
export function bucketTimes(window: MetricsWindow): number[] {
  const start = Date.parse(window.start);
  const step = window.interval * 1000;
  return Array.from({ length: window.buckets }, (_, index) => start + index * step);
}

/** The chart of `series` over `window`'s buckets. */
export function scoreChart(
  series: readonly ScoreSeriesView[],
  window: MetricsWindow,
): ScoreChartData {
  const times = bucketTimes(window);
  const points: ScorePoint[] = times.map((time) => ({ time }));
  const index = new Map(times.map((time, position) => [time, position]));
  const lines: ScoreLine[] = [];
  const labelOnly: string[] = [];
  let total = 0;
  for (const one of series) {
    const count = one.points.reduce((sum, point) => sum + point.count, 0);
    total += count;
    if (!one.points.some((point) => point.scoreMean != null)) {
      labelOnly.push(one.name);
      continue;
    }
    const key = `score${lines.length}`;
    lines.push({ key, name: one.name, count });
    for (const point of points) point[key] = null;
    for (const point of one.points) {
      const position = index.get(Date.parse(point.timestamp));
      if (position !== undefined) points[position][key] = point.scoreMean ?? null;
    }
  }
  return { points, lines, labelOnly, total };
}

/** A score on the axis and in the tooltip: "0.75". */
export function formatScore(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
