// How examples read on the dataset pages, and how their JSON editors check what is typed.
import { formatTime } from "../../lib/format";

/** A one-line preview of an example's input, output or metadata (an object). */
export function jsonPreview(value: unknown): string {
  if (value == null) return "";
  if (typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return "{}";
    return entries
      .map(([key, item]) => `${key}: ${typeof item === "string" ? item : JSON.stringify(item)}`)
      .join(" · ");
  }
  return JSON.stringify(value);
}

/** An example's input, output or metadata as its editor shows it. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value ?? {}, null, 2);
}

/** What an editor's text holds: a JSON object, or why it is not one. */
export type ParsedObject = { value: Record<string, unknown> } | { problem: string };

export function parseJsonObject(text: string): ParsedObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problem: `Not valid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { problem: "Must be a JSON object ({ … })." };
  }
  return { value: value as Record<string, unknown> };
}

/** The row number a GlobalID names (`RGF0YXNldFZlcnNpb246Mg==` is `DatasetVersion:2`: "2"), or
 * the id itself if it is not one. */
export function rowNumber(globalId: string): string {
  try {
    const [, number] = atob(globalId).split(":");
    return number && /^\d+$/.test(number) ? number : globalId;
  } catch {
    return globalId;
  }
}

/** A version in pickers and lists: its number, when it was made, and its description if any. */
export function versionLabel(version: {
  id: string;
  createdAt: string;
  description?: string | null;
}): string {
  const label = `#${rowNumber(version.id)} · ${formatTime(version.createdAt)}`;
  return version.description ? `${label} — ${version.description}` : label;
}
