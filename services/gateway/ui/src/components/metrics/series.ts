// From `timeSeries` buckets to what the charts draw: one point per bucket keyed by its time in
// milliseconds (recharts scales numbers, not ISO strings), and the totals over the window.

/** The fields of a `TimeSeriesBucket` the charts read. */
export interface TimeSeriesBucketView {
  timestamp: string;
  traceCount: number;
  errorCount: number;
  latencyMsP50?: number | null;
  latencyMsP90?: number | null;
  latencyMsP99?: number | null;
  tokenCountPrompt: number;
  tokenCountCompletion: number;
  costTotal: number;
}

/** One bucket as the charts draw it. Latencies stay null in empty buckets, so a line breaks
 * there instead of dropping to zero. */
export interface MetricsPoint {
  time: number;
  traces: number;
  errors: number;
  /** Traces that finished without an error. */
  successes: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  promptTokens: number;
  completionTokens: number;
  cost: number;
}

export interface MetricsTotals {
  traces: number;
  errors: number;
  /** Errors over traces; null without traces. */
  errorRate: number | null;
  promptTokens: number;
  completionTokens: number;
  cost: number;
}

/** The points of `buckets`, in time order. */
export function toPoints(buckets: readonly TimeSeriesBucketView[]): MetricsPoint[] {
  return buckets
    .map((bucket) => ({
      time: Date.parse(bucket.timestamp),
      traces: bucket.traceCount,
      errors: bucket.errorCount,
      successes: Math.max(bucket.traceCount - bucket.errorCount, 0),
      p50: bucket.latencyMsP50 ?? null,
      p90: bucket.latencyMsP90 ?? null,
      p99: bucket.latencyMsP99 ?? null,
      promptTokens: bucket.tokenCountPrompt,
      completionTokens: bucket.tokenCountCompletion,
      cost: bucket.costTotal,
    }))
    .sort((left, right) => left.time - right.time);
}

/** The sums over all `points`. */
export function totalsOf(points: readonly MetricsPoint[]): MetricsTotals {
  const totals = points.reduce(
    (sum, point) => ({
      traces: sum.traces + point.traces,
      errors: sum.errors + point.errors,
      promptTokens: sum.promptTokens + point.promptTokens,
      completionTokens: sum.completionTokens + point.completionTokens,
      cost: sum.cost + point.cost,
    }),
    { traces: 0, errors: 0, promptTokens: 0, completionTokens: 0, cost: 0 },
  );
  return { ...totals, errorRate: totals.traces > 0 ? totals.errors / totals.traces : null };
}

/** How a bucket's time reads on an axis of a window `spanSeconds` long: the clock within a
 * day, the day and hour within a few days, else the date. */
export function axisTimeFormatter(spanSeconds: number): (time: number) => string {
  const format =
    spanSeconds <= 86_400
      ? new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" })
      : spanSeconds <= 3 * 86_400
        ? new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit" })
        : new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
  return (time) => format.format(new Date(time));
}

/** A bucket's span in a tooltip: "Dec 1, 21:40 (5 min)". */
export function bucketLabel(time: number, intervalSeconds: number): string {
  const start = new Intl.DateTimeFormat(undefined, {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(time));
  return `${start} (${durationLabel(intervalSeconds)})`;
}

/** 30 s, 5 min, 3 h, 2 d. */
export function durationLabel(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

/** "1 trace", "2 traces", "12.3K traces". */
export function countLabel(count: number, noun: string, format: (value: number) => string): string {
  return `${format(count)} ${count === 1 ? noun : `${noun}s`}`;
}
