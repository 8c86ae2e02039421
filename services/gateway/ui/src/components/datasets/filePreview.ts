// What the upload dialog knows about a file before sending it: its columns and first rows, read
// in the browser from the file's first bytes, and which column goes where (input, output,
// metadata, split). The server reads the whole file again and is the judge; the preview only
// lets a user choose the mapping and catch the wrong file early.

/** How much of a file the preview reads. */
export const PREVIEW_BYTES = 256 * 1024;
/** Rows the preview shows. */
export const PREVIEW_ROWS = 5;

export type FileKind = "csv" | "jsonl";

export interface FilePreview {
  kind: FileKind;
  columns: string[];
  /** The first rows, each a value per column (as text; absent values are ""). */
  rows: string[][];
}

export type ColumnRole = "input" | "output" | "metadata" | "split" | "ignore";
export type ColumnMapping = Record<string, ColumnRole>;

export const COLUMN_ROLES: readonly ColumnRole[] = ["input", "output", "metadata", "split", "ignore"];

/** The preview, or why the file can't be uploaded as it is. */
export type PreviewResult = { preview: FilePreview } | { problem: string };

/** The kind of a file from its name: `.csv`, or `.jsonl` / `.ndjson`; null for anything else. */
export function fileKind(name: string): FileKind | null {
  const lower = name.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return "jsonl";
  return null;
}

/** The preview of a file's first `PREVIEW_BYTES`; `complete` says they are the whole file (so
 * its last line is whole too). */
export function previewText(kind: FileKind, text: string, complete: boolean): PreviewResult {
  const body = text.startsWith("\ufeff") ? text.slice(1) : text;
  return kind === "csv" ? previewCsv(body, complete) : previewJsonl(body, complete);
}

/** CSV records (RFC 4180: quoted fields hold commas, newlines and doubled quotes) from `text`,
 * at most `limit` of them; a record the text cuts off is left out unless `complete`. */
export function parseCsv(text: string, limit: number, complete: boolean): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  let index = 0;
  const endRecord = () => {
    record.push(field);
    records.push(record);
    record = [];
    field = "";
  };
  while (index < text.length && records.length < limit) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index += 2;
        continue;
      }
      if (char === '"') quoted = false;
      else field += char;
      index += 1;
      continue;
    }
    if (char === '"' && field === "") quoted = true;
    else if (char === ",") {
      record.push(field);
      field = "";
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && text[index + 1] === "\n") index += 1;
      endRecord();
    } else field += char;
    index += 1;
  }
  if (complete && records.length < limit && !quoted && (field !== "" || record.length > 0)) {
    endRecord();
  }
  return records.filter((cells) => !(cells.length === 1 && cells[0] === ""));
}

function previewCsv(text: string, complete: boolean): PreviewResult {
  const [header, ...rows] = parseCsv(text, PREVIEW_ROWS + 1, complete);
  if (!header) return { problem: "The file is empty: a CSV file needs a header row." };
  const columns = header.map((name) => name.trim());
  const blank = columns.findIndex((name) => name === "");
  if (blank >= 0) return { problem: `Column ${blank + 1} of the header has no name.` };
  const repeated = columns.find((name, index) => columns.indexOf(name) !== index);
  if (repeated !== undefined) return { problem: `The header names “${repeated}” twice.` };
  const width = columns.length;
  const short = rows.findIndex((cells) => cells.length !== width);
  if (short >= 0) {
    return {
      problem: `Line ${short + 2} has ${rows[short].length} values; the header has ${width}.`,
    };
  }
  return { preview: { kind: "csv", columns, rows } };
}

function previewJsonl(text: string, complete: boolean): PreviewResult {
  const lines = text.split(/\r?\n/);
  if (!complete) lines.pop(); // cut off by the preview's limit
  const objects: Record<string, unknown>[] = [];
  for (const [index, line] of lines.entries()) {
    if (objects.length === PREVIEW_ROWS) break;
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      return { problem: `Line ${index + 1} is not JSON: ${(error as Error).message}` };
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return { problem: `Line ${index + 1} is not a JSON object.` };
    }
    objects.push(value as Record<string, unknown>);
  }
  if (objects.length === 0) return { problem: "The file holds no JSON object." };
  const columns = [...new Set(objects.flatMap((object) => Object.keys(object)))];
  const rows = objects.map((object) => columns.map((column) => cellText(object[column])));
  return { preview: { kind: "jsonl", columns, rows } };
}

function cellText(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

const OUTPUT_NAMES = /^(output|outputs|answer|expected|expected_output|reference|response|label|target|completion)$/i;
const SPLIT_NAMES = /^(split|splits)$/i;
const METADATA_NAMES = /^(id|metadata|meta|source|tags?|category|topic)$/i;

/** A first guess at each column's role, from its name: outputs, splits and metadata by their
 * usual names, everything else input. */
export function guessMapping(columns: readonly string[]): ColumnMapping {
  const mapping: ColumnMapping = {};
  for (const column of columns) {
    if (OUTPUT_NAMES.test(column)) mapping[column] = "output";
    else if (SPLIT_NAMES.test(column)) mapping[column] = "split";
    else if (METADATA_NAMES.test(column)) mapping[column] = "metadata";
    else mapping[column] = "input";
  }
  return mapping;
}

/** The upload form's key fields for a mapping, in column order. */
export interface KeyFields {
  "input_keys[]": string[];
  "output_keys[]": string[];
  "metadata_keys[]": string[];
  "split_keys[]": string[];
}

export function keyFields(columns: readonly string[], mapping: ColumnMapping): KeyFields {
  const of = (role: ColumnRole) => columns.filter((column) => mapping[column] === role);
  return {
    "input_keys[]": of("input"),
    "output_keys[]": of("output"),
    "metadata_keys[]": of("metadata"),
    "split_keys[]": of("split"),
  };
}

/** What stops an upload with this name and mapping, or null. */
export function uploadProblem(
  name: string,
  columns: readonly string[],
  mapping: ColumnMapping,
): string | null {
  if (!name.trim()) return "Give the dataset a name.";
  if (name.length > 256) return "The name can be at most 256 characters.";
  if (!columns.some((column) => mapping[column] === "input")) {
    return "Choose at least one input column.";
  }
  return null;
}

/** The dataset name a file suggests: its name without the extension. */
export function suggestedName(fileName: string): string {
  return fileName.replace(/\.(csv|jsonl|ndjson)$/i, "");
}
