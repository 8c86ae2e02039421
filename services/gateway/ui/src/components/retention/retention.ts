// Words and numbers of the retention page: a policy's rule as a sentence, a size in bytes.

export interface RuleLimits {
  maxDays?: number | null;
  maxCount?: number | null;
}

/** "Keeps 30 days", "Keeps the newest 1,000 traces", both joined with "or", or "Keeps everything". */
export function describeRule({ maxDays, maxCount }: RuleLimits): string {
  const parts: string[] = [];
  if (maxDays) parts.push(`${maxDays.toLocaleString()} day${maxDays === 1 ? "" : "s"} of traces`);
  if (maxCount) parts.push(`the newest ${maxCount.toLocaleString()} traces`);
  return parts.length ? `Keeps ${parts.join(", or fewer: ")}` : "Keeps everything";
}

const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** 1536 -> "1.5 KB" (powers of 1024, one decimal under 10). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = value < 10 && unit > 0 ? 1 : 0;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** A form field's text as a limit: empty is no limit (null); anything else must be a whole number
 * of at least 1, else the reason is returned as a string. */
export function parseLimit(text: string, label: string): number | null | string {
  const trimmed = text.trim();
  if (!trimmed) return null;
  if (!/^\d+$/.test(trimmed) || Number(trimmed) < 1) {
    return `${label} must be a whole number of at least 1 (or empty for no limit)`;
  }
  return Number(trimmed);
}
