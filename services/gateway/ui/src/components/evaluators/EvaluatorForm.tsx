// The evaluator form: a new evaluator (name, kind, description) or the next version of one, its
// definition, a note on what this version is, and the Test panel beside it, so that it can be
// tried before it is saved. A refusal of the save or of a test shows each message beside the
// field it names; a taken name beside the name.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";

import {
  createEvaluator,
  createEvaluatorVersion,
  EVALUATORS_KEY,
  EvaluatorFieldError,
} from "../../api/evaluators";
import type { Evaluator, EvaluatorKind, FieldProblem, TestSubject } from "../../api/evaluators";
import { ApiError } from "../../api/rest";
import { ErrorState } from "../States";
import { buildDefinition, draftInputs } from "./definitionDraft";
import type { DefinitionDraft } from "./definitionDraft";
import { KIND_LABELS } from "./catalog";
import { DefinitionEditor } from "./DefinitionEditor";
import { FieldProblem as Problem, FormProblems } from "./FormParts";
import { problemMap, unplacedProblems } from "./problems";
import { TestPanel } from "./TestPanel";

const KINDS: readonly EvaluatorKind[] = ["BUILTIN", "LLM", "CODE"];

/** A new evaluator, or the next version of `evaluator`. */
export type FormTarget = { evaluator?: undefined } | { evaluator: Evaluator };

interface Refusal {
  by: "save" | "test";
  error: Error;
}

export function EvaluatorForm({
  target,
  initialDraft,
  onSaved,
  onCancel,
}: {
  target: FormTarget;
  initialDraft: DefinitionDraft;
  /** After the save: the evaluator's id (a new one, or the one versioned). */
  onSaved: (evaluatorId: string) => void | Promise<void>;
  onCancel: () => void;
}) {
  const queryClient = useQueryClient();
  const existing = target.evaluator;
  const [draft, setDraft] = useState(initialDraft);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [note, setNote] = useState("");
  const [local, setLocal] = useState<FieldProblem[]>([]);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const save = useMutation({
    mutationFn: async (definition: Record<string, unknown>) => {
      if (existing) {
        await createEvaluatorVersion(existing.id, { definition, note: note.trim() || null });
        return existing.id;
      }
      const created = await createEvaluator({
        name: name.trim(),
        kind: draft.kind,
        description: description.trim() || null,
        definition,
        note: note.trim() || null,
      });
      return created.id;
    },
    onSuccess: async (evaluatorId) => {
      setRefusal(null);
      await queryClient.invalidateQueries({ queryKey: [EVALUATORS_KEY] });
      await onSaved(evaluatorId);
    },
    onError: (error) => setRefusal({ by: "save", error }),
  });

  const fallbackName = existing?.name ?? name.trim();
  const problems = problemMap(local, refusal?.error);
  const nameTaken =
    refusal?.by === "save" && refusal.error instanceof ApiError && refusal.error.status === 409
      ? refusal.error.message
      : undefined;
  const saveProblems =
    refusal?.by === "save" && refusal.error instanceof EvaluatorFieldError
      ? unplacedProblems(problemMap([], refusal.error), ["name", "description", "note", "definition"])
      : [];
  const saveFailure =
    refusal?.by === "save" &&
    !(refusal.error instanceof EvaluatorFieldError) &&
    nameTaken === undefined
      ? refusal.error
      : null;

  function submit(event: FormEvent) {
    event.preventDefault();
    const built = buildDefinition(draft, fallbackName);
    const found = [...(built.problems ?? [])];
    if (!existing && !name.trim()) found.push({ field: "name", message: "Name it." });
    setLocal(found);
    if (found.length || !built.value) {
      setRefusal(null);
      return;
    }
    save.mutate(built.value);
  }

  function prepareTest(): TestSubject | null {
    const built = buildDefinition(draft, fallbackName);
    setLocal(built.problems ?? []);
    return built.value ? { definition: built.value, kind: draft.kind } : null;
  }

  return (
    <div className="evaluator-form-layout">
      <form
        className="panel evaluator-form"
        onSubmit={submit}
        aria-label={existing ? `New version of ${existing.name}` : "New evaluator"}
        noValidate
      >
        {existing ? (
          <p className="muted">
            Version {existing.version + 1} of <strong>{existing.name}</strong> (
            {KIND_LABELS[existing.kind]}). Versions are never changed: the evaluator&apos;s users
            that follow the latest version use this one once it is saved.
          </p>
        ) : (
          <div className="form-row">
            <label className="field">
              Name
              <input
                type="text"
                value={name}
                placeholder="order-number"
                spellCheck={false}
                aria-invalid={problems.name !== undefined || nameTaken !== undefined}
                onChange={(event) => setName(event.target.value)}
              />
              <span className="field-help">Lower-case letters, digits, _ and -.</span>
              <Problem field="name" text={problems.name ?? nameTaken} />
            </label>
            <label className="field">
              Kind
              <select
                value={draft.kind}
                onChange={(event) =>
                  setDraft({ ...draft, kind: event.target.value as EvaluatorKind })
                }
              >
                {KINDS.map((kind) => (
                  <option key={kind} value={kind}>
                    {KIND_LABELS[kind]}
                  </option>
                ))}
              </select>
            </label>
          </div>
        )}
        {existing ? null : (
          <label className="field">
            Description
            <input
              type="text"
              value={description}
              onChange={(event) => setDescription(event.target.value)}
            />
            <Problem field="description" text={problems.description} />
          </label>
        )}
        <DefinitionEditor
          draft={draft}
          problems={problems}
          onChange={setDraft}
          onProblem={(field, message) => setLocal([{ field, message }])}
        />
        <label className="field">
          Note on this version
          <input
            type="text"
            value={note}
            placeholder={existing ? "what changed" : "first version"}
            onChange={(event) => setNote(event.target.value)}
          />
          <Problem field="note" text={problems.note} />
        </label>
        <FormProblems texts={saveProblems} title="Not saved:" />
        {saveFailure ? <ErrorState error={saveFailure} title="Not saved" /> : null}
        <div className="dialog-actions">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={save.isPending}>
            {existing ? "Save version" : "Create evaluator"}
          </button>
        </div>
      </form>
      <TestPanel
        prepare={prepareTest}
        suggestedInputs={draftInputs(draft)}
        onOutcome={(error) => setRefusal(error instanceof Error ? { by: "test", error } : null)}
      />
    </div>
  );
}
