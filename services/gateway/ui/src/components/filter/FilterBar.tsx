// The filter input of the traces and spans tables: an expression of the span filter language,
// applied on Enter or Apply, with the server's complaint about it shown right under it.
import { useId } from "react";
import type { FormEvent } from "react";

import { useDraft } from "../../lib/draft";

import "./FilterBar.css";

/** Expressions offered under the input; a click applies one. */
export const FILTER_EXAMPLES: readonly string[] = [
  "span_kind == 'LLM'",
  "status_code == 'ERROR'",
  "latency_ms > 1000",
  "'refund' in input.value",
  "annotations['correctness'].score < 0.5",
];

export interface FilterBarProps {
  /** The applied expression ("" for none); the input starts from it and follows its changes. */
  value: string;
  onApply: (expression: string) => void;
  /** Why the server refused `value`, or null. */
  error: string | null;
  /** What the filter is applied to, said under the input (e.g. "each trace's root span"). */
  scope?: string;
}

export function FilterBar({ value, onApply, error, scope }: FilterBarProps) {
  // A new applied value (a link followed, Back pressed, Clear) replaces what is being typed.
  const [draft, setDraft] = useDraft(value);
  const inputId = useId();
  const errorId = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(draft.trim());
  };
  const apply = (expression: string) => {
    setDraft(expression);
    onApply(expression);
  };

  return (
    <form className="filter-bar" role="search" aria-label="Filter" onSubmit={submit}>
      <div className="filter-bar-row">
        <label htmlFor={inputId} className="visually-hidden">
          Filter expression
        </label>
        <input
          id={inputId}
          type="text"
          className={`filter-input${error ? " filter-input-invalid" : ""}`}
          data-testid="filter-input"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          placeholder="Filter: span_kind == 'LLM' and latency_ms > 1000"
          spellCheck={false}
          autoComplete="off"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
        />
        <button type="submit" data-testid="filter-apply">
          Apply
        </button>
        <button
          type="button"
          data-testid="filter-clear"
          onClick={() => apply("")}
          disabled={!draft && !value}
        >
          Clear
        </button>
      </div>
      {error ? (
        <div id={errorId} className="filter-error" role="alert" data-testid="filter-error">
          {error}
        </div>
      ) : null}
      <div className="filter-hints">
        {scope ? <span className="filter-scope">Applied to {scope}. Try:</span> : "Try:"}
        {FILTER_EXAMPLES.map((example) => (
          <button
            key={example}
            type="button"
            className="filter-hint"
            data-testid="filter-hint"
            onClick={() => apply(example)}
          >
            {example}
          </button>
        ))}
      </div>
    </form>
  );
}
