// `/evaluators/<id>`: an evaluator's versions, newest first with their notes; the definition of
// the version chosen (`?version=<n>`, by default the latest), a Test panel that runs that
// version, and "New version" (the same form as a new evaluator's, filled in with the chosen
// version). The description can be changed, and the evaluator deleted: an online rule that
// uses it stops that, and the refusal names the rules.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";

import {
  deleteEvaluator,
  describeEvaluator,
  EVALUATORS_KEY,
  useEvaluator,
  useEvaluatorVersions,
} from "../api/evaluators";
import type { Evaluator } from "../api/evaluators";
import { ApiError } from "../api/rest";
import { CanWrite } from "../components/auth/viewer";
import { KIND_LABELS } from "../components/evaluators/catalog";
import { draftFromDefinition, draftInputs } from "../components/evaluators/definitionDraft";
import { DefinitionView } from "../components/evaluators/DefinitionView";
import { EvaluatorForm } from "../components/evaluators/EvaluatorForm";
import { EVALUATORS_PATH } from "../components/evaluators/evaluatorPaths";
import { TestPanel } from "../components/evaluators/TestPanel";
import { Pagination } from "../components/Pagination";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { formatTime } from "../lib/format";
import { usePager } from "../lib/pager";
import "../components/datasets/datasets.css";
import "../components/prompts/prompts.css";
import "../components/playground/playground.css";
import "../components/evaluators/evaluators.css";

const VERSIONS_PER_PAGE = 20;

function DescriptionForm({ evaluator, onDone }: { evaluator: Evaluator; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [description, setDescription] = useState(evaluator.description ?? "");
  const save = useMutation({
    mutationFn: () => describeEvaluator(evaluator.id, description.trim() || null),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: [EVALUATORS_KEY] });
      onDone();
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }
  return (
    <form className="dataset-edit" onSubmit={submit} aria-label="Edit description">
      <label className="field">
        Description
        <input
          type="text"
          value={description}
          onChange={(event) => setDescription(event.target.value)}
        />
      </label>
      <div className="dialog-actions">
        <button type="button" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={save.isPending}>
          Save
        </button>
      </div>
      {save.error ? (
        <p className="form-problem" role="alert">
          {save.error.message}
        </p>
      ) : null}
    </form>
  );
}

export default function EvaluatorPage() {
  const { evaluatorId = "" } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [searchParams, setSearchParams] = useSearchParams();
  const [editing, setEditing] = useState(false);
  const [versioning, setVersioning] = useState(false);
  const pager = usePager(evaluatorId);
  const evaluatorQuery = useEvaluator(evaluatorId);
  const evaluator = evaluatorQuery.data;
  // Versions are read by the evaluator's own id, so that a name in the address works too.
  const versionsQuery = useEvaluatorVersions(
    evaluator?.id ?? "",
    pager.after,
    VERSIONS_PER_PAGE,
    evaluator !== undefined,
  );
  const remove = useMutation({
    mutationFn: () => deleteEvaluator(evaluatorId),
    onSuccess: async () => {
      await navigate(EVALUATORS_PATH);
      await queryClient.invalidateQueries({ queryKey: [EVALUATORS_KEY] });
    },
  });

  if (evaluatorQuery.isPending) return <Loading label="Loading the evaluator…" />;
  if (evaluatorQuery.error instanceof ApiError && evaluatorQuery.error.status === 404) {
    return (
      <EmptyState title="No such evaluator">
        It may have been deleted. <Link to={EVALUATORS_PATH}>See every evaluator</Link>.
      </EmptyState>
    );
  }
  if (!evaluator) return <ErrorState error={evaluatorQuery.error ?? new Error("No answer")} />;

  const versions = versionsQuery.data?.data ?? [];
  const asked = Number(searchParams.get("version"));
  const chosenNumber = Number.isInteger(asked) && asked > 0 ? asked : evaluator.version;
  const chosen =
    chosenNumber === evaluator.version
      ? {
          version: evaluator.version,
          definition: evaluator.definition,
          profile: evaluator.profile,
          note: evaluator.note,
        }
      : versions.find((version) => version.version === chosenNumber);
  const choose = (version: number) =>
    setSearchParams(version === evaluator.version ? {} : { version: String(version) }, {
      replace: true,
    });

  return (
    <div className="evaluator-page">
      <div className="project-header">
        <div className="project-title">
          <Link to={EVALUATORS_PATH}>Evaluators</Link> / <h1>{evaluator.name}</h1>
          <span className={`chip kind-chip kind-${evaluator.kind.toLowerCase()}`}>
            {KIND_LABELS[evaluator.kind]}
          </span>
        </div>
        <div className="project-actions">
          <span className="muted">
            latest v{evaluator.version}, created {formatTime(evaluator.created_at)}
          </span>
          <CanWrite>
            <button type="button" className="primary" onClick={() => setVersioning(true)}>
              New version
            </button>
            <button type="button" onClick={() => setEditing((open) => !open)}>
              Edit description
            </button>
            <button
              type="button"
              disabled={remove.isPending}
              onClick={() => {
                if (window.confirm(`Delete the evaluator “${evaluator.name}” with its versions?`)) {
                  remove.mutate();
                }
              }}
            >
              Delete
            </button>
          </CanWrite>
        </div>
      </div>
      {evaluator.description ? (
        <p className="dataset-description" data-testid="evaluator-description">
          {evaluator.description}
        </p>
      ) : null}
      {editing ? (
        <DescriptionForm
          key={evaluator.description ?? ""}
          evaluator={evaluator}
          onDone={() => setEditing(false)}
        />
      ) : null}
      {remove.error ? (
        <ErrorState error={remove.error} title="The evaluator was not deleted" />
      ) : null}
      {versioning && chosen ? (
        <section aria-label="New version">
          <h2 className="section-title">New version, from version {chosen.version}</h2>
          <EvaluatorForm
            key={`${evaluator.id}|${chosen.version}`}
            target={{ evaluator }}
            initialDraft={draftFromDefinition(evaluator.kind, chosen.definition)}
            onSaved={() => {
              setVersioning(false);
              setSearchParams({}, { replace: true });
            }}
            onCancel={() => setVersioning(false)}
          />
        </section>
      ) : null}
      <div className="evaluator-versions-layout">
        <section aria-label="Versions">
          <h2 className="section-title">Versions</h2>
          {versionsQuery.isPending ? (
            <Loading label="Loading versions…" />
          ) : versionsQuery.error && !versionsQuery.data ? (
            <ErrorState error={versionsQuery.error} />
          ) : (
            <>
              <div className="panel">
                <table className="data versions-table" data-testid="evaluator-versions">
                  <thead>
                    <tr>
                      <th scope="col">Version</th>
                      <th scope="col">Note</th>
                      <th scope="col">Created</th>
                    </tr>
                  </thead>
                  <tbody>
                    {versions.map((version) => (
                      <tr
                        key={version.id}
                        data-testid="evaluator-version-row"
                        className={version.version === chosenNumber ? "selected" : undefined}
                        aria-selected={version.version === chosenNumber}
                      >
                        <td>
                          <button
                            type="button"
                            className="link-button"
                            onClick={() => choose(version.version)}
                          >
                            Version {version.version}
                          </button>
                          {version.version === evaluator.version ? (
                            <span className="chip">latest</span>
                          ) : null}
                        </td>
                        <td className="preview" data-testid="version-note">
                          {version.note ?? ""}
                        </td>
                        <td>{formatTime(version.created_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pagination
                pager={pager}
                hasNextPage={versionsQuery.data.next_cursor !== null}
                endCursor={versionsQuery.data.next_cursor}
              />
            </>
          )}
        </section>
        <section className="panel chosen-version" aria-label={`Version ${chosenNumber}`}>
          <header className="version-header">
            <h3>Version {chosenNumber}</h3>
            {chosenNumber === evaluator.version ? <span className="chip">latest</span> : null}
            {chosen?.note ? <span className="muted">{chosen.note}</span> : null}
          </header>
          {chosen ? (
            <DefinitionView
              kind={evaluator.kind}
              definition={chosen.definition}
              profile={chosen.profile}
            />
          ) : versionsQuery.isPending ? (
            <Loading />
          ) : (
            <p className="muted">
              Version {chosenNumber} is not on this page of versions: choose one from the list.
            </p>
          )}
        </section>
      </div>
      {chosen ? (
        <CanWrite>
          <TestPanel
            key={`${evaluator.id}|${chosen.version}`}
            title={`Test version ${chosen.version}`}
            prepare={() => ({ evaluator: evaluator.id, evaluator_version: chosen.version })}
            suggestedInputs={
              chosen.profile?.inputs ??
              draftInputs(draftFromDefinition(evaluator.kind, chosen.definition))
            }
          />
        </CanWrite>
      ) : null}
    </div>
  );
}
