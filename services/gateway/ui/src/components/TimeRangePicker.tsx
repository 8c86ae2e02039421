import { TIME_RANGE_PRESETS, useTimeRange } from "../lib/timeRange";
import type { TimeRangeKey } from "../lib/timeRange";

/** A select of the preset ranges, bound to `?range=` in the URL. */
export function TimeRangePicker() {
  const { key, setKey } = useTimeRange();
  return (
    <label className="time-range">
      <span className="visually-hidden">Time range</span>
      <select
        aria-label="Time range"
        value={key}
        onChange={(event) => setKey(event.target.value as TimeRangeKey)}
      >
        {TIME_RANGE_PRESETS.map((preset) => (
          <option key={preset.key} value={preset.key}>
            {preset.label}
          </option>
        ))}
      </select>
    </label>
  );
}
