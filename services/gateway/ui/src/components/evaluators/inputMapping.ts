// An input mapping as rows of the form: evaluator input -> path into what the worker gathers
// for its target (`expected` -> `expected.answer`). The API takes it as a JSON object, so two
// rows for one input can't be sent: that, and a row with a path but no input, are refused here,
// under the field a 422 would name (`input_mapping.<input>`).
import type { FieldProblem } from "../../api/evaluators";
import { rowId } from "./definitionDraft";

export interface MappingRow {
  id: string;
  input: string;
  path: string;
}

export function mappingRow(input = "", path = ""): MappingRow {
  return { id: rowId(), input, path };
}

/** Rows of a stored mapping, in its order. */
export function rowsFromMapping(mapping: Record<string, string>): MappingRow[] {
  return Object.entries(mapping).map(([input, path]) => mappingRow(input, path));
}

/** The mapping the rows describe (blank rows left out), or the problems of the rows, each
 * under `input_mapping.<input>` (or `input_mapping.<row index>` for a row with no input). */
export function mappingFromRows(
  rows: readonly MappingRow[],
): { mapping: Record<string, string>; problems: FieldProblem[] } {
  const mapping: Record<string, string> = {};
  const problems: FieldProblem[] = [];
  rows.forEach((row, index) => {
    const input = row.input.trim();
    const path = row.path.trim();
    if (!input && !path) return;
    if (!input) {
      problems.push({ field: `input_mapping.${index}`, message: "Name the input this path fills." });
    } else if (!path) {
      problems.push({
        field: `input_mapping.${input}`,
        message: `Give the path ${input} is read from (e.g. expected.answer).`,
      });
    } else if (Object.hasOwn(mapping, input)) {
      problems.push({ field: `input_mapping.${input}`, message: `${input} is mapped twice.` });
    } else mapping[input] = path;
  });
  return { mapping, problems };
}

/** The problem field of a row: what `mappingFromRows` and the API name it by. */
export function rowField(row: MappingRow, index: number): string {
  const input = row.input.trim();
  return input ? `input_mapping.${input}` : `input_mapping.${index}`;
}
