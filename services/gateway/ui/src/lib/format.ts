// How numbers, times and ids read in the UI, in one place.

/** 850 ms, 1.25 s, 2.1 min. */
export function formatLatency(milliseconds: number | null | undefined): string {
  if (milliseconds == null || Number.isNaN(milliseconds)) return "–";
  if (milliseconds < 1) return `${milliseconds.toFixed(2)} ms`;
  if (milliseconds < 1000) return `${Math.round(milliseconds)} ms`;
  if (milliseconds < 60_000) return `${(milliseconds / 1000).toFixed(2)} s`;
  return `${(milliseconds / 60_000).toFixed(1)} min`;
}

const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });

/** 950, 12.3K, 4.5M. */
export function formatCount(value: number | null | undefined): string {
  if (value == null) return "–";
  return value < 1000 ? String(Math.round(value)) : compact.format(value);
}

/** $0.0012, $1.23, $1.2K. */
export function formatCost(usd: number | null | undefined): string {
  if (usd == null) return "–";
  if (usd === 0) return "$0";
  if (usd < 0.01) return `$${usd.toPrecision(2)}`;
  if (usd < 1000) return `$${usd.toFixed(2)}`;
  return `$${compact.format(usd)}`;
}

/** 4.2%. */
export function formatPercent(fraction: number | null | undefined): string {
  if (fraction == null) return "–";
  return `${(fraction * 100).toFixed(fraction < 0.1 && fraction > 0 ? 1 : 0)}%`;
}

const dateTime = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/** Dec 1, 21:40:03 in the browser's time zone. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "–";
  return dateTime.format(new Date(iso));
}

const day = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });

/** Dec 31, 2027: a day that may be years away (a key's expiry). */
export function formatDay(iso: string | null | undefined): string {
  if (!iso) return "–";
  return day.format(new Date(iso));
}

/** The first characters of a long id, for tables. */
export function shortId(id: string, length = 8): string {
  return id.length > length ? `${id.slice(0, length)}…` : id;
}
