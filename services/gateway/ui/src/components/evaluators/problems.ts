// Where a refusal's messages go in a form. A 422 names its field as a dotted path under the body
// (`definition.code`, `definition.config.pattern`, `input_mapping.expected`); the form shows each
// message beside that field, and what no field of the form shows in one place under it. Code
// problems name a line ("line 2, column 5: invalid syntax"), judge templates an unknown
// variable ("messages[0] uses the unknown variable 'ouput'"): those are read out, so that the
// editor can mark the line and the message.
import { EvaluatorFieldError } from "../../api/evaluators";
import type { FieldProblem } from "../../api/evaluators";

/** Messages by field (several for one field joined by a blank line). */
export type ProblemMap = Readonly<Record<string, string>>;

/** The message without the field it starts with (`` `definition.code`: ``): shown beside the
 * field, it need not name it. */
export function withoutFieldPrefix(message: string): string {
  return message.replace(/^`[^`]*`:\s*/, "");
}

/** The problems of `error` (a 422's, else none) and those the form found itself, by field. */
export function problemMap(local: readonly FieldProblem[], error?: unknown): ProblemMap {
  const all = [...local, ...(error instanceof EvaluatorFieldError ? error.problems : [])];
  const map: Record<string, string> = {};
  for (const { field, message } of all) {
    const text = withoutFieldPrefix(message);
    map[field] = map[field] ? `${map[field]}\n\n${text}` : text;
  }
  return map;
}

/** The messages for `field` and every field under it (`definition.config` takes
 * `definition.config.words`), or undefined. */
export function problemUnder(problems: ProblemMap, field: string): string | undefined {
  const texts = Object.entries(problems)
    .filter(([key]) => key === field || key.startsWith(`${field}.`))
    .map(([, text]) => text);
  return texts.length ? texts.join("\n\n") : undefined;
}

/** The problems no field of the form shows: those not under any of `shown`. */
export function unplacedProblems(problems: ProblemMap, shown: readonly string[]): string[] {
  return Object.entries(problems)
    .filter(([key]) => !shown.some((field) => key === field || key.startsWith(`${field}.`)))
    .map(([key, text]) => (key ? `${key}: ${text}` : text));
}

export interface CodePosition {
  line: number;
  column: number | null;
}

/** The line (and column) a code problem names, if it names one. */
export function codePosition(message: string | undefined): CodePosition | null {
  const match = message ? /\bline (\d+)(?:, column (\d+))?/.exec(message) : null;
  if (!match) return null;
  return { line: Number(match[1]), column: match[2] ? Number(match[2]) : null };
}

/** The unknown variables a template problem names, by the index of the message using each. */
export function unknownVariables(message: string | undefined): Map<number, string[]> {
  const found = new Map<number, string[]>();
  if (!message) return found;
  // Python's repr quotes a name with ' unless it holds one.
  const pattern = /messages\[(\d+)\] uses the unknown variable (?:'([^']*)'|"([^"]*)")/g;
  for (const match of message.matchAll(pattern)) {
    const index = Number(match[1]);
    found.set(index, [...(found.get(index) ?? []), match[2] ?? match[3]]);
  }
  return found;
}

/** The problems of `field` and the fields under it, as a map of their own. */
export function problemsWithin(problems: ProblemMap, field: string): ProblemMap {
  return Object.fromEntries(
    Object.entries(problems).filter(([key]) => key === field || key.startsWith(`${field}.`)),
  );
}
