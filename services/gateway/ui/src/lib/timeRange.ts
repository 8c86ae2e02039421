// The time range every list and chart is read over, kept in the URL (`?range=24h`) so a link
// shows what its sender saw.
import { useSearchParams } from "react-router";

export const TIME_RANGE_PRESETS = [
  { key: "15m", label: "Last 15 minutes", milliseconds: 15 * 60_000 },
  { key: "1h", label: "Last hour", milliseconds: 3_600_000 },
  { key: "24h", label: "Last 24 hours", milliseconds: 86_400_000 },
  { key: "7d", label: "Last 7 days", milliseconds: 7 * 86_400_000 },
  { key: "30d", label: "Last 30 days", milliseconds: 30 * 86_400_000 },
  { key: "all", label: "All time", milliseconds: null },
] as const;

export type TimeRangeKey = (typeof TIME_RANGE_PRESETS)[number]["key"];

export const DEFAULT_TIME_RANGE: TimeRangeKey = "7d";

/** The GraphQL `TimeRange` of a preset: from that long ago, open at the end. The start is
 * rounded down to the minute so the same range gives the same request (and cache entry) for a
 * minute at a time. */
export function timeRangeOf(key: TimeRangeKey, now: number = Date.now()): { start?: string } {
  const preset = TIME_RANGE_PRESETS.find((candidate) => candidate.key === key);
  if (!preset || preset.milliseconds == null) return {};
  const start = Math.floor((now - preset.milliseconds) / 60_000) * 60_000;
  return { start: new Date(start).toISOString() };
}

function isTimeRangeKey(value: string | null): value is TimeRangeKey {
  return TIME_RANGE_PRESETS.some((preset) => preset.key === value);
}

/** The range in the URL (or the default), its GraphQL value, and a setter that keeps the other
 * search parameters except the page cursor. */
export function useTimeRange(): {
  key: TimeRangeKey;
  timeRange: { start?: string };
  setKey: (key: TimeRangeKey) => void;
} {
  const [searchParams, setSearchParams] = useSearchParams();
  const raw = searchParams.get("range");
  const key = isTimeRangeKey(raw) ? raw : DEFAULT_TIME_RANGE;
  return {
    key,
    timeRange: timeRangeOf(key),
    setKey: (next) =>
      setSearchParams((previous) => {
        const params = new URLSearchParams(previous);
        params.set("range", next);
        params.delete("after");
        return params;
      }),
  };
}
