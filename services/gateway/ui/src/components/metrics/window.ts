// The window a metrics page charts: `timeSeries` needs both bounds and an interval, while the
// time-range presets are open at the end (and "all time" at both ends). This turns a preset into
// bounds aligned to a bucket, with an interval that keeps the charts readable (about 120 bars).
import { TIME_RANGE_PRESETS } from "../../lib/timeRange";
import type { TimeRangeKey } from "../../lib/timeRange";

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Bucket widths in seconds, from the finest. Each is a width people read without arithmetic. */
export const INTERVALS = [
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  30 * DAY,
] as const;

/** The most buckets a chart shows. */
export const MAX_BUCKETS = 120;

/** "All time" of a project that does not say when it was created. */
export const FALLBACK_RANGE_SECONDS = 30 * DAY;

/** The shortest window charted, so a project created a moment ago still gets a few buckets. */
export const MIN_RANGE_SECONDS = 15 * MINUTE;

export interface MetricsWindow {
  /** ISO bounds of `timeSeries(timeRange:)`: the start included, the end excluded. */
  start: string;
  end: string;
  /** The bucket width in seconds. */
  interval: number;
  /** How many buckets the window holds. */
  buckets: number;
}

/** How far back a preset reaches, in seconds; "all time" reaches to the project's creation. */
export function rangeSeconds(
  key: TimeRangeKey,
  now: number,
  projectCreatedAt: string | null | undefined,
): number {
  const preset = TIME_RANGE_PRESETS.find((candidate) => candidate.key === key);
  let seconds: number;
  if (preset && preset.milliseconds != null) {
    seconds = preset.milliseconds / 1000;
  } else {
    const created = projectCreatedAt ? Date.parse(projectCreatedAt) : Number.NaN;
    seconds = Number.isNaN(created) ? FALLBACK_RANGE_SECONDS : (now - created) / 1000;
  }
  return Math.max(seconds, MIN_RANGE_SECONDS);
}

/** The aligned window for `rangeInSeconds` back from `now`, in the finest interval that gives
 * at most `MAX_BUCKETS` buckets. The end is rounded up to the next bucket boundary so the
 * current bucket is whole, and the bounds stay the same (one cache entry) until it closes. */
export function metricsWindow(rangeInSeconds: number, now: number): MetricsWindow {
  const nowSeconds = now / 1000;
  for (const interval of INTERVALS) {
    const window = alignedWindow(nowSeconds, rangeInSeconds, interval);
    if (window.buckets <= MAX_BUCKETS) return window;
  }
  // Longer than 120 of the widest buckets (ten years): fit the interval to the range.
  return alignedWindow(nowSeconds, rangeInSeconds, Math.ceil(rangeInSeconds / (MAX_BUCKETS - 2)));
}

function alignedWindow(
  nowSeconds: number,
  rangeInSeconds: number,
  interval: number,
): MetricsWindow {
  // `floor + 1` rather than `ceil`: a `now` exactly on a boundary still charts the bucket it opens.
  const endSeconds = (Math.floor(nowSeconds / interval) + 1) * interval;
  const startSeconds = Math.floor((nowSeconds - rangeInSeconds) / interval) * interval;
  return {
    start: new Date(startSeconds * 1000).toISOString(),
    end: new Date(endSeconds * 1000).toISOString(),
    interval,
    buckets: Math.round((endSeconds - startSeconds) / interval),
  };
}
