// "Test": run an evaluator once, before saving it or on a saved version, and see what it gives:
// score, label, explanation and metadata, or the reason it gave none; what code printed; a
// judge's tokens and cost; how long it took, and the inputs it was given. It runs on inputs
// typed as JSON, on a dataset example or on a stored span (with the typed inputs laid over
// either), through an input mapping. Nothing is stored (`POST /v1/evaluators/test`).
import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";

import { EvaluatorFieldError, testEvaluator } from "../../api/evaluators";
import type { EvaluatorTest, FieldProblem, TestMaterial, TestSubject } from "../../api/evaluators";
import { formatCost, formatCount, formatLatency } from "../../lib/format";
import { ErrorState } from "../States";
import { FieldProblem as Problem, FormProblems } from "./FormParts";
import type { MappingRow } from "./inputMapping";
import { MappingEditor } from "./MappingEditor";
import { problemMap, problemUnder } from "./problems";
import { buildMaterial, inputsTemplate, panelProblems } from "./testMaterial";
import type { TestSource } from "./testMaterial";

function TestResult({ test }: { test: EvaluatorTest }) {
  const { result } = test;
  return (
    <section className="test-result" aria-label="Test result" data-testid="test-result">
      {result ? (
        <dl className="result-facts">
          <dt>Score</dt>
          <dd data-testid="test-score">{result.score ?? "–"}</dd>
          <dt>Label</dt>
          <dd data-testid="test-label">{result.label ?? "–"}</dd>
          <dt>Explanation</dt>
          <dd data-testid="test-explanation">{result.explanation ?? "–"}</dd>
          {Object.keys(result.metadata).length ? (
            <>
              <dt>Metadata</dt>
              <dd>
                <pre data-testid="test-metadata">{JSON.stringify(result.metadata, null, 2)}</pre>
              </dd>
            </>
          ) : null}
        </dl>
      ) : null}
      {test.error ? (
        <p className="test-error" data-testid="test-error">
          <strong>No result:</strong> {test.error}
        </p>
      ) : null}
      {test.printed ? (
        <>
          <h4>Printed</h4>
          <pre className="test-printed" data-testid="test-printed">
            {test.printed}
          </pre>
        </>
      ) : null}
      <p className="run-figures muted" data-testid="test-figures">
        <span>{formatLatency(test.duration_ms)}</span>
        {test.tokens != null ? <span>{formatCount(test.tokens)} tokens</span> : null}
        {test.cost != null ? <span>{formatCost(test.cost)}</span> : null}
      </p>
      <details>
        <summary>The inputs it was given</summary>
        <pre>{JSON.stringify(test.inputs, null, 2)}</pre>
      </details>
    </section>
  );
}

export function TestPanel({
  prepare,
  suggestedInputs,
  onOutcome,
  title = "Test",
}: {
  /** What to run (a draft's definition, a saved version); null when the form has problems of
   * its own to fix first. */
  prepare: () => TestSubject | null;
  /** The inputs the evaluator reads, to start the inputs JSON from. */
  suggestedInputs: readonly string[];
  /** Told of each test's refusal (or null once one runs), for the form to show its part. */
  onOutcome?: (error: unknown) => void;
  title?: string;
}) {
  const inputsId = useId();
  const [source, setSource] = useState<TestSource>("inputs");
  const [inputs, setInputs] = useState(() => inputsTemplate(suggestedInputs, ""));
  const [exampleId, setExampleId] = useState("");
  const [project, setProject] = useState("");
  const [spanId, setSpanId] = useState("");
  const [rows, setRows] = useState<MappingRow[]>([]);
  const [local, setLocal] = useState<FieldProblem[]>([]);
  const test = useMutation({
    mutationFn: ({ subject, material }: { subject: TestSubject; material: TestMaterial }) =>
      testEvaluator(subject, material),
    onSuccess: () => onOutcome?.(null),
    onError: (error) => onOutcome?.(error),
  });
  const problems = problemMap(local, test.error);

  function run() {
    const built = buildMaterial({ source, inputs, exampleId, project, spanId, rows });
    setLocal(built.problems);
    const subject = prepare();
    if (built.problems.length || subject === null) {
      test.reset();
      return;
    }
    test.mutate({ subject, material: built.material });
  }

  return (
    <section className="panel test-panel" aria-label={title}>
      <h2>{title}</h2>
      <fieldset className="test-source">
        <legend>Run it on</legend>
        {(
          [
            ["inputs", "Inputs"],
            ["example", "A dataset example"],
            ["span", "A span"],
          ] as const
        ).map(([value, label]) => (
          <label key={value} className="check-field">
            <input
              type="radio"
              name={`${title}-source`}
              checked={source === value}
              onChange={() => setSource(value)}
            />
            {label}
          </label>
        ))}
      </fieldset>
      {source === "example" ? (
        <label className="field">
          Dataset example ID
          <input
            type="text"
            value={exampleId}
            spellCheck={false}
            onChange={(event) => setExampleId(event.target.value)}
          />
          <Problem field="dataset_example_id" text={problems.dataset_example_id} />
        </label>
      ) : null}
      {source === "span" ? (
        <div className="form-row">
          <label className="field">
            Project
            <input
              type="text"
              value={project}
              spellCheck={false}
              onChange={(event) => setProject(event.target.value)}
            />
            <Problem field="project" text={problems.project} />
          </label>
          <label className="field">
            Span ID
            <input
              type="text"
              value={spanId}
              spellCheck={false}
              onChange={(event) => setSpanId(event.target.value)}
            />
            <Problem field="span_id" text={problems.span_id} />
          </label>
        </div>
      ) : null}
      <div className="field">
        <span className="field-title">
          <label htmlFor={inputsId}>
            {source === "inputs" ? "Inputs (JSON)" : "Inputs laid over it (JSON, optional)"}
          </label>
          <button
            type="button"
            className="link-button"
            onClick={() => setInputs(inputsTemplate(suggestedInputs, inputs))}
          >
            Fill in the inputs it reads
          </button>
        </span>
        <textarea
          id={inputsId}
          rows={Math.min(14, Math.max(3, inputs.split("\n").length))}
          value={inputs}
          spellCheck={false}
          aria-invalid={problemUnder(problems, "inputs") !== undefined}
          onChange={(event) => setInputs(event.target.value)}
        />
        <Problem field="inputs" text={problemUnder(problems, "inputs")} />
      </div>
      <details className="test-mapping" open={rows.length > 0}>
        <summary>Input mapping</summary>
        <MappingEditor rows={rows} problems={problems} label="Test input mapping" onChange={setRows} />
      </details>
      <div className="dialog-actions">
        <button type="button" className="primary" disabled={test.isPending} onClick={run}>
          {test.isPending ? "Running…" : "Run test"}
        </button>
      </div>
      <FormProblems
        texts={panelProblems(problems, onOutcome !== undefined)}
        title="The test did not run:"
      />
      {test.error && !(test.error instanceof EvaluatorFieldError) ? (
        <ErrorState error={test.error} title="The test did not run" />
      ) : null}
      {test.data && !test.isPending ? <TestResult test={test.data} /> : null}
    </section>
  );
}
