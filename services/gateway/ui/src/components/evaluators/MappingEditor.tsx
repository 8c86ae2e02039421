// The input mapping as rows: an evaluator input, and the path it is read from (`expected` ->
// `expected.answer`); each row's problem beside it.
import { MATERIAL } from "./catalog";
import { CodeList, FieldProblem } from "./FormParts";
import { mappingRow, rowField } from "./inputMapping";
import type { MappingRow } from "./inputMapping";
import type { ProblemMap } from "./problems";

export function MappingEditor({
  rows,
  problems,
  label,
  onChange,
}: {
  rows: readonly MappingRow[];
  problems: ProblemMap;
  label: string;
  onChange: (rows: MappingRow[]) => void;
}) {
  const change = (id: string, part: "input" | "path", value: string) =>
    onChange(rows.map((row) => (row.id === id ? { ...row, [part]: value } : row)));
  return (
    <fieldset className="mapping-rows" aria-label={label}>
      <legend>{label}</legend>
      <p className="field-help">
        An input and where it is read from: a path starting with <CodeList names={MATERIAL} />{" "}
        and going into it by keys (<code>expected.answer</code>,{" "}
        <code>metadata.user_id</code>). Inputs not mapped are read as they are.
      </p>
      {rows.map((row, index) => {
        const field = rowField(row, index);
        return (
          <div key={row.id} className="mapping-row" data-testid="mapping-row">
            <input
              type="text"
              aria-label={`Input of mapping row ${index + 1}`}
              placeholder="expected"
              value={row.input}
              spellCheck={false}
              onChange={(event) => change(row.id, "input", event.target.value)}
            />
            <span aria-hidden="true">←</span>
            <input
              type="text"
              aria-label={`Path of mapping row ${index + 1}`}
              placeholder="expected.answer"
              value={row.path}
              spellCheck={false}
              aria-invalid={problems[field] !== undefined}
              onChange={(event) => change(row.id, "path", event.target.value)}
            />
            <button
              type="button"
              className="link-button"
              aria-label={`Remove mapping row ${index + 1}`}
              onClick={() => onChange(rows.filter((item) => item.id !== row.id))}
            >
              Remove
            </button>
            <FieldProblem field={field} text={problems[field]} />
          </div>
        );
      })}
      <button type="button" onClick={() => onChange([...rows, mappingRow()])}>
        Add mapping
      </button>
      <FieldProblem field="input_mapping" text={problems.input_mapping} />
    </fieldset>
  );
}
