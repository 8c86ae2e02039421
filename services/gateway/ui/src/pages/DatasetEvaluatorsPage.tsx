// `/datasets/<id>/evaluators`: the evaluators attached to the dataset, each scoring every run of
// every experiment over it as a run annotation (shown with the runs on the experiment pages);
// attaching one (an evaluator, its latest or a pinned version, the annotation name, an input
// mapping) records the runs already written for scoring too. Detaching stops it; the scores it
// wrote stay. Refusals show the API's message, beside the field it names.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";
import { Link, useParams } from "react-router";

import {
  attachDatasetEvaluator,
  DATASET_EVALUATORS_KEY,
  detachDatasetEvaluator,
  EvaluatorFieldError,
  useDatasetEvaluators,
  useEvaluatorList,
  useEvaluatorVersions,
} from "../api/evaluators";
import type { AttachedDatasetEvaluator, DatasetEvaluator, FieldProblem } from "../api/evaluators";
import { ApiError } from "../api/rest";
import { CanWrite } from "../components/auth/viewer";
import { KIND_LABELS } from "../components/evaluators/catalog";
import { evaluatorPath, NEW_EVALUATOR_PATH } from "../components/evaluators/evaluatorPaths";
import { FieldProblem as Problem, FormProblems } from "../components/evaluators/FormParts";
import { mappingFromRows } from "../components/evaluators/inputMapping";
import type { MappingRow } from "../components/evaluators/inputMapping";
import { MappingEditor } from "../components/evaluators/MappingEditor";
import { problemMap, unplacedProblems } from "../components/evaluators/problems";
import { readsText } from "../components/evaluators/profileText";
import { Pagination } from "../components/Pagination";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { formatCount, formatTime } from "../lib/format";
import { usePager } from "../lib/pager";
import "../components/playground/playground.css";
import "../components/evaluators/evaluators.css";

const ROWS_PER_PAGE = 50;
/** The most evaluators the attach form offers (the API's largest page). */
const EVALUATOR_CHOICES = 1000;

function AttachForm({ datasetId }: { datasetId: string }) {
  const queryClient = useQueryClient();
  const library = useEvaluatorList("", undefined, EVALUATOR_CHOICES);
  const [evaluatorId, setEvaluatorId] = useState("");
  const [version, setVersion] = useState("");
  const [name, setName] = useState("");
  const [rows, setRows] = useState<MappingRow[]>([]);
  const [local, setLocal] = useState<FieldProblem[]>([]);
  const [attached, setAttached] = useState<AttachedDatasetEvaluator | null>(null);
  const versions = useEvaluatorVersions(evaluatorId, undefined, 100, evaluatorId !== "");
  const attach = useMutation({
    mutationFn: (mapping: Record<string, string>) =>
      attachDatasetEvaluator(datasetId, {
        evaluator: evaluatorId,
        evaluator_version: version ? Number(version) : null,
        name: name.trim(),
        input_mapping: mapping,
      }),
    onSuccess: async (answer) => {
      setAttached(answer);
      setName("");
      setRows([]);
      setEvaluatorId("");
      setVersion("");
      await queryClient.invalidateQueries({ queryKey: [DATASET_EVALUATORS_KEY, datasetId] });
    },
  });

  const evaluators = library.data?.data ?? [];
  const chosen = evaluators.find((evaluator) => evaluator.id === evaluatorId);
  const problems = problemMap(local, attach.error);
  const nameTaken =
    attach.error instanceof ApiError && attach.error.status === 409
      ? attach.error.message
      : undefined;
  const elsewhere = unplacedProblems(problems, ["evaluator", "evaluator_version", "name", "input_mapping"]);

  function choose(id: string) {
    const previous = chosen?.name ?? "";
    const next = evaluators.find((evaluator) => evaluator.id === id);
    setEvaluatorId(id);
    setVersion("");
    if (!name.trim() || name === previous) setName(next?.name ?? "");
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const mapping = mappingFromRows(rows);
    const found = [...mapping.problems];
    if (!evaluatorId) found.push({ field: "evaluator", message: "Choose an evaluator." });
    if (!name.trim()) found.push({ field: "name", message: "Name its annotations." });
    setLocal(found);
    setAttached(null);
    if (found.length) {
      attach.reset();
      return;
    }
    attach.mutate(mapping.mapping);
  }

  if (library.isPending) return <Loading label="Loading evaluators…" />;
  if (library.error && !library.data) return <ErrorState error={library.error} />;
  return (
    <form className="panel attach-form" onSubmit={submit} aria-label="Attach an evaluator" noValidate>
      <h2>Attach an evaluator</h2>
      {evaluators.length === 0 ? (
        <p className="muted">
          There are no evaluators yet: <Link to={NEW_EVALUATOR_PATH}>make one</Link> first.
        </p>
      ) : null}
      <div className="form-row">
        <label className="field">
          Evaluator
          <select value={evaluatorId} onChange={(event) => choose(event.target.value)}>
            <option value="">Choose…</option>
            {evaluators.map((evaluator) => (
              <option key={evaluator.id} value={evaluator.id}>
                {evaluator.name} ({KIND_LABELS[evaluator.kind]})
              </option>
            ))}
          </select>
          {chosen ? (
            <span className="field-help">Reads {readsText(chosen.profile)}.</span>
          ) : null}
          <Problem field="evaluator" text={problems.evaluator} />
        </label>
        <label className="field">
          Version
          <select
            value={version}
            disabled={!evaluatorId}
            onChange={(event) => setVersion(event.target.value)}
          >
            <option value="">always the latest</option>
            {(versions.data?.data ?? []).map((item) => (
              <option key={item.id} value={String(item.version)}>
                version {item.version}
                {item.note ? `: ${item.note}` : ""}
              </option>
            ))}
          </select>
          <Problem field="evaluator_version" text={problems.evaluator_version} />
        </label>
        <label className="field">
          Annotation name
          <input
            type="text"
            value={name}
            placeholder="correctness"
            aria-invalid={problems.name !== undefined || nameTaken !== undefined}
            onChange={(event) => setName(event.target.value)}
          />
          <Problem field="name" text={problems.name ?? nameTaken} />
        </label>
      </div>
      <MappingEditor rows={rows} problems={problems} label="Input mapping" onChange={setRows} />
      <p className="field-help">
        A run gives <code>input</code> (its example&apos;s input), <code>output</code> (the
        run&apos;s output), <code>expected</code> (the example&apos;s output) and{" "}
        <code>metadata</code>: map <code>expected</code> to <code>expected.answer</code> to
        compare with one key of it.
      </p>
      <FormProblems texts={elsewhere} title="Not attached:" />
      {attach.error && !(attach.error instanceof EvaluatorFieldError) && !nameTaken ? (
        <ErrorState error={attach.error} title="Not attached" />
      ) : null}
      {attached ? (
        <p className="form-success" role="status" data-testid="attached-message">
          Attached {attached.evaluator.name} as “{attached.name}”:{" "}
          {attached.existing_runs
            ? `${formatCount(attached.existing_runs)} runs already written will be scored too.`
            : "it scores each run of the experiments to come."}
        </p>
      ) : null}
      <div className="dialog-actions">
        <button type="submit" className="primary" disabled={attach.isPending}>
          Attach
        </button>
      </div>
    </form>
  );
}

function MappingText({ mapping }: { mapping: Record<string, string> }) {
  const entries = Object.entries(mapping);
  if (entries.length === 0) return <span className="muted">none</span>;
  return (
    <ul className="mapping-list">
      {entries.map(([input, path]) => (
        <li key={input}>
          <code>{input}</code> ← <code>{path}</code>
        </li>
      ))}
    </ul>
  );
}

function AttachedTable({
  datasetId,
  rows,
}: {
  datasetId: string;
  rows: readonly DatasetEvaluator[];
}) {
  const queryClient = useQueryClient();
  const detach = useMutation({
    mutationFn: (row: DatasetEvaluator) => detachDatasetEvaluator(datasetId, row.id),
    onSuccess: () =>
      queryClient.invalidateQueries({ queryKey: [DATASET_EVALUATORS_KEY, datasetId] }),
  });
  return (
    <>
      <div className="panel">
        <table className="data" data-testid="dataset-evaluators-table">
          <thead>
            <tr>
              <th scope="col">Annotation</th>
              <th scope="col">Evaluator</th>
              <th scope="col">Version</th>
              <th scope="col">Input mapping</th>
              <th scope="col">Attached</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id} data-testid="dataset-evaluator-row">
                <td>
                  <strong>{row.name}</strong>
                </td>
                <td>
                  <Link to={evaluatorPath(row.evaluator.id)}>{row.evaluator.name}</Link>{" "}
                  <span className="chip kind-chip">{KIND_LABELS[row.evaluator.kind]}</span>
                </td>
                <td data-testid="dataset-evaluator-version">
                  {row.evaluator_version === null ? "latest" : `version ${row.evaluator_version}`}
                </td>
                <td data-testid="dataset-evaluator-mapping">
                  <MappingText mapping={row.input_mapping} />
                </td>
                <td>{formatTime(row.created_at)}</td>
                <td>
                  <CanWrite>
                    <button
                      type="button"
                      disabled={detach.isPending}
                      aria-label={`Detach ${row.name}`}
                      onClick={() => detach.mutate(row)}
                    >
                      Detach
                    </button>
                  </CanWrite>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {detach.error ? (
        <p className="form-problem" role="alert">
          {detach.error.message}
        </p>
      ) : null}
    </>
  );
}

export default function DatasetEvaluatorsPage() {
  const { datasetId = "" } = useParams();
  const pager = usePager(datasetId);
  const { data, error, isPending } = useDatasetEvaluators(datasetId, pager.after, ROWS_PER_PAGE);

  let list;
  if (isPending) list = <Loading label="Loading the dataset's evaluators…" />;
  else if (error && !data) list = <ErrorState error={error} />;
  else if (data.data.length === 0 && pager.pageIndex === 0) {
    list = (
      <EmptyState title="No evaluators attached">
        An evaluator attached here scores every run of every experiment over this dataset, those
        already run too; its scores show with the runs as annotations.
      </EmptyState>
    );
  } else {
    list = (
      <>
        <AttachedTable datasetId={datasetId} rows={data.data} />
        <Pagination
          pager={pager}
          hasNextPage={data.next_cursor !== null}
          endCursor={data.next_cursor}
        />
      </>
    );
  }
  return (
    <div className="dataset-evaluators-page">
      {list}
      <CanWrite>
        <AttachForm datasetId={datasetId} />
      </CanWrite>
    </div>
  );
}
