// The definition part of the evaluator form, by kind: a built-in and its configuration (as
// fields, or as JSON); an LLM judge (a built-in one, or a template of one's own: messages and
// choices label -> score) with the provider and model that answer it; or Python code with its
// entry function and limits. Each problem shows beside the field it names; a code problem
// marks its line, a template's unknown variable the message that uses it.
import type { ReactNode } from "react";

import type { EvaluatorKind } from "../../api/evaluators";
import { PROVIDERS } from "../playground/variants";
import {
  BUILTIN_EVALUATORS,
  BUILTIN_JUDGES,
  builtinEntry,
  CODE_LIMITS,
  JUDGE_VARIABLES,
  judgeEntry,
} from "./catalog";
import type { CodeLimitKey, ConfigField } from "./catalog";
import { rowId, switchConfigMode } from "./definitionDraft";
import type {
  BuiltinDraft,
  CodeDraft,
  DefinitionDraft,
  Direction,
  FieldValue,
  JudgeDraft,
  TemplateFormat,
  TemplateRole,
} from "./definitionDraft";
import { CodeEditor, CodeList, FieldProblem, FormProblems } from "./FormParts";
import {
  codePosition,
  problemsWithin,
  problemUnder,
  unknownVariables,
  unplacedProblems,
} from "./problems";
import type { ProblemMap } from "./problems";

const TEMPLATE_ROLES: readonly TemplateRole[] = ["system", "user", "assistant"];
const TEMPLATE_FORMATS: readonly TemplateFormat[] = ["MUSTACHE", "F_STRING", "NONE"];
const DIRECTIONS: readonly Direction[] = ["maximize", "minimize", "neutral"];

function Reads({ inputs, children }: { inputs: readonly string[]; children?: ReactNode }) {
  return (
    <p className="muted evaluator-reads">
      Reads <CodeList names={inputs} />
      {children}
    </p>
  );
}

// Built-ins --------------------------------------------------------------------------------------

function ConfigInput({
  field,
  value,
  problem,
  onChange,
}: {
  field: ConfigField;
  value: FieldValue | undefined;
  problem: string | undefined;
  onChange: (value: FieldValue) => void;
}) {
  const where = `definition.config.${field.key}`;
  if (field.type === "boolean") {
    return (
      <label className="check-field">
        <input
          type="checkbox"
          checked={value === undefined ? field.defaultValue === true : value === true}
          onChange={(event) => onChange(event.target.checked)}
        />
        {field.label}
        <FieldProblem field={where} text={problem} />
      </label>
    );
  }
  const text = typeof value === "string" ? value : "";
  let input: ReactNode;
  if (field.type === "choice") {
    input = (
      <select value={text} onChange={(event) => onChange(event.target.value)}>
        <option value="">(default)</option>
        {field.options?.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    );
  } else if (field.type === "json") {
    input = (
      <textarea
        rows={Math.min(12, Math.max(3, text.split("\n").length))}
        value={text}
        placeholder={field.placeholder}
        spellCheck={false}
        aria-invalid={problem !== undefined}
        onChange={(event) => onChange(event.target.value)}
      />
    );
  } else {
    input = (
      <input
        type="text"
        inputMode={field.type === "number" || field.type === "integer" ? "decimal" : undefined}
        value={text}
        placeholder={field.placeholder}
        spellCheck={false}
        aria-invalid={problem !== undefined}
        onChange={(event) => onChange(event.target.value)}
      />
    );
  }
  return (
    <label className="field">
      {field.label}
      {input}
      {field.help ? <span className="field-help">{field.help}</span> : null}
      <FieldProblem field={where} text={problem} />
    </label>
  );
}

function BuiltinEditor({
  draft,
  problems,
  onChange,
  onProblem,
}: {
  draft: BuiltinDraft;
  problems: ProblemMap;
  onChange: (draft: BuiltinDraft) => void;
  onProblem: (field: string, message: string) => void;
}) {
  const entry = builtinEntry(draft.evaluator);
  const configProblems = problemsWithin(problems, "definition.config");
  const shownFields = entry?.fields.map((field) => `definition.config.${field.key}`) ?? [];
  const configProblem =
    draft.mode === "json"
      ? problemUnder(problems, "definition.config")
      : unplacedProblems(configProblems, shownFields).join("\n\n") || undefined;
  function switchMode() {
    const switched = switchConfigMode(draft);
    if (switched.value) onChange(switched.value);
    else onProblem(switched.problems[0].field, switched.problems[0].message);
  }
  return (
    <div className="definition-part">
      <label className="field">
        Built-in evaluator
        <select
          value={draft.evaluator}
          onChange={(event) =>
            onChange({ evaluator: event.target.value, mode: "fields", fields: {}, json: "{}" })
          }
        >
          {BUILTIN_EVALUATORS.map((builtin) => (
            <option key={builtin.name} value={builtin.name}>
              {builtin.name}
            </option>
          ))}
          {entry ? null : <option value={draft.evaluator}>{draft.evaluator}</option>}
        </select>
        <FieldProblem field="definition.evaluator" text={problems["definition.evaluator"]} />
      </label>
      {entry ? (
        <>
          <p className="evaluator-about">{entry.description}.</p>
          <Reads inputs={entry.inputs}>; gives {entry.gives}.</Reads>
        </>
      ) : null}
      <fieldset className="config-fields">
        <legend>
          Configuration{" "}
          <button type="button" className="link-button" onClick={switchMode}>
            {draft.mode === "fields" ? "Edit as JSON" : "Edit as fields"}
          </button>
        </legend>
        {draft.mode === "json" || !entry ? (
          <label className="field">
            Configuration (JSON)
            <textarea
              rows={Math.min(16, Math.max(4, draft.json.split("\n").length))}
              value={draft.json}
              spellCheck={false}
              aria-invalid={configProblem !== undefined}
              onChange={(event) => onChange({ ...draft, json: event.target.value })}
            />
          </label>
        ) : entry.fields.length === 0 ? (
          <p className="muted">{entry.name} has nothing to configure.</p>
        ) : (
          entry.fields.map((field) => (
            <ConfigInput
              key={field.key}
              field={field}
              value={draft.fields[field.key]}
              problem={problems[`definition.config.${field.key}`]}
              onChange={(value) =>
                onChange({ ...draft, fields: { ...draft.fields, [field.key]: value } })
              }
            />
          ))
        )}
        <FieldProblem field="definition.config" text={configProblem} />
      </fieldset>
    </div>
  );
}

// LLM judges -------------------------------------------------------------------------------------

function TemplateEditor({
  draft,
  problems,
  onChange,
}: {
  draft: JudgeDraft;
  problems: ProblemMap;
  onChange: (draft: JudgeDraft) => void;
}) {
  const templateProblems = problemsWithin(problems, "definition.template");
  const choiceFields = draft.choices.map((_, index) => `definition.template.choices.${index}`);
  const templateProblem = unplacedProblems(templateProblems, choiceFields).join("\n\n");
  const unknown = unknownVariables(templateProblem);
  const setMessages = (messages: JudgeDraft["messages"]) => onChange({ ...draft, messages });
  const setChoices = (choices: JudgeDraft["choices"]) => onChange({ ...draft, choices });
  return (
    <div className="template-editor">
      <label className="field">
        Template format
        <select
          value={draft.templateFormat}
          onChange={(event) =>
            onChange({ ...draft, templateFormat: event.target.value as TemplateFormat })
          }
        >
          {TEMPLATE_FORMATS.map((format) => (
            <option key={format} value={format}>
              {format === "MUSTACHE"
                ? "mustache {{output}}"
                : format === "F_STRING"
                  ? "f-string {output}"
                  : "no variables"}
            </option>
          ))}
        </select>
      </label>
      <p className="muted template-variables">
        Variables:{" "}
        {JUDGE_VARIABLES.map(([name, meaning], index) => (
          <span key={name}>
            {index ? ", " : ""}
            <code title={meaning}>{name}</code>
          </span>
        ))}
      </p>
      <ol className="template-editors" aria-label="Template messages">
        {draft.messages.map((message, index) => {
          const name = `template message ${index + 1}`;
          const variables = unknown.get(index);
          return (
            <li key={message.id} className={`message-editor role-${message.role}`}>
              <div className="message-editor-bar">
                <select
                  aria-label={`Role of ${name}`}
                  value={message.role}
                  onChange={(event) =>
                    setMessages(
                      draft.messages.map((item) =>
                        item.id === message.id
                          ? { ...item, role: event.target.value as TemplateRole }
                          : item,
                      ),
                    )
                  }
                >
                  {TEMPLATE_ROLES.map((role) => (
                    <option key={role} value={role}>
                      {role}
                    </option>
                  ))}
                </select>
                {draft.messages.length > 1 ? (
                  <button
                    type="button"
                    className="link-button"
                    aria-label={`Remove ${name}`}
                    onClick={() =>
                      setMessages(draft.messages.filter((item) => item.id !== message.id))
                    }
                  >
                    Remove
                  </button>
                ) : null}
              </div>
              <textarea
                aria-label={`Content of ${name}`}
                aria-invalid={variables !== undefined}
                rows={Math.min(12, Math.max(3, message.content.split("\n").length))}
                value={message.content}
                onChange={(event) =>
                  setMessages(
                    draft.messages.map((item) =>
                      item.id === message.id ? { ...item, content: event.target.value } : item,
                    ),
                  )
                }
              />
              <FieldProblem
                field={`definition.template.messages.${index}`}
                text={
                  variables
                    ? `Unknown variable${variables.length > 1 ? "s" : ""}: ${variables.join(", ")}`
                    : undefined
                }
              />
            </li>
          );
        })}
      </ol>
      <button
        type="button"
        onClick={() => setMessages([...draft.messages, { id: rowId(), role: "user", content: "" }])}
      >
        Add message
      </button>
      <fieldset className="choice-rows">
        <legend>Choices: label → score (blank: no score)</legend>
        {draft.choices.map((choice, index) => (
          <div key={choice.id} className="choice-row">
            <input
              type="text"
              aria-label={`Label of choice ${index + 1}`}
              value={choice.label}
              placeholder="label"
              onChange={(event) =>
                setChoices(
                  draft.choices.map((item) =>
                    item.id === choice.id ? { ...item, label: event.target.value } : item,
                  ),
                )
              }
            />
            <span aria-hidden="true">→</span>
            <input
              type="text"
              inputMode="decimal"
              aria-label={`Score of choice ${index + 1}`}
              value={choice.score}
              placeholder="score"
              onChange={(event) =>
                setChoices(
                  draft.choices.map((item) =>
                    item.id === choice.id ? { ...item, score: event.target.value } : item,
                  ),
                )
              }
            />
            <button
              type="button"
              className="link-button"
              aria-label={`Remove choice ${index + 1}`}
              onClick={() => setChoices(draft.choices.filter((item) => item.id !== choice.id))}
            >
              Remove
            </button>
            <FieldProblem
              field={`definition.template.choices.${index}`}
              text={problems[`definition.template.choices.${index}`]}
            />
          </div>
        ))}
        <button
          type="button"
          onClick={() => setChoices([...draft.choices, { id: rowId(), label: "", score: "" }])}
        >
          Add choice
        </button>
      </fieldset>
      <div className="form-row">
        <label className="field">
          Better score
          <select
            value={draft.direction}
            onChange={(event) => onChange({ ...draft, direction: event.target.value as Direction })}
          >
            {DIRECTIONS.map((direction) => (
              <option key={direction} value={direction}>
                {direction === "maximize" ? "higher" : direction === "minimize" ? "lower" : "neither"}
              </option>
            ))}
          </select>
        </label>
        <label className="check-field">
          <input
            type="checkbox"
            checked={draft.explanation}
            onChange={(event) => onChange({ ...draft, explanation: event.target.checked })}
          />
          Ask for an explanation
        </label>
      </div>
      <FieldProblem field="definition.template" text={templateProblem || undefined} />
    </div>
  );
}

function JudgeEditor({
  draft,
  problems,
  onChange,
}: {
  draft: JudgeDraft;
  problems: ProblemMap;
  onChange: (draft: JudgeDraft) => void;
}) {
  const judge = judgeEntry(draft.judge);
  return (
    <div className="definition-part">
      <fieldset className="judge-source">
        <legend>Judge</legend>
        <label className="check-field">
          <input
            type="radio"
            name="judge-source"
            checked={draft.source === "builtin"}
            onChange={() => onChange({ ...draft, source: "builtin" })}
          />
          A built-in judge
        </label>
        <label className="check-field">
          <input
            type="radio"
            name="judge-source"
            checked={draft.source === "custom"}
            onChange={() => onChange({ ...draft, source: "custom" })}
          />
          My own template
        </label>
      </fieldset>
      {draft.source === "builtin" ? (
        <label className="field">
          Built-in judge
          <select
            value={draft.judge}
            onChange={(event) => onChange({ ...draft, judge: event.target.value })}
          >
            {BUILTIN_JUDGES.map((entry) => (
              <option key={entry.name} value={entry.name}>
                {entry.name}
              </option>
            ))}
            {judge ? null : <option value={draft.judge}>{draft.judge}</option>}
          </select>
          {judge ? (
            <>
              <span className="evaluator-about">{judge.description}.</span>
              <Reads inputs={judge.inputs}>; labels {judge.labels}.</Reads>
            </>
          ) : null}
          <FieldProblem field="definition.judge" text={problems["definition.judge"]} />
        </label>
      ) : (
        <TemplateEditor draft={draft} problems={problems} onChange={onChange} />
      )}
      <div className="form-row">
        <label className="field">
          Provider
          <select
            value={draft.provider}
            onChange={(event) => onChange({ ...draft, provider: event.target.value })}
          >
            {PROVIDERS.map((provider) => (
              <option key={provider} value={provider}>
                {provider}
              </option>
            ))}
            {(PROVIDERS as readonly string[]).includes(draft.provider) ? null : (
              <option value={draft.provider}>{draft.provider}</option>
            )}
          </select>
          <FieldProblem field="definition.provider" text={problems["definition.provider"]} />
        </label>
        <label className="field">
          Model
          <input
            type="text"
            value={draft.model}
            aria-invalid={problems["definition.model"] !== undefined}
            onChange={(event) => onChange({ ...draft, model: event.target.value })}
          />
          <FieldProblem field="definition.model" text={problems["definition.model"]} />
        </label>
      </div>
      <label className="field">
        Invocation parameters (JSON)
        <textarea
          rows={Math.min(8, Math.max(2, draft.parameters.split("\n").length))}
          value={draft.parameters}
          placeholder='{"temperature": 0}'
          spellCheck={false}
          aria-invalid={problemUnder(problems, "definition.invocation_parameters") !== undefined}
          onChange={(event) => onChange({ ...draft, parameters: event.target.value })}
        />
        <FieldProblem
          field="definition.invocation_parameters"
          text={problemUnder(problems, "definition.invocation_parameters")}
        />
      </label>
    </div>
  );
}

// Code -------------------------------------------------------------------------------------------

function CodeDefinitionEditor({
  draft,
  problems,
  onChange,
}: {
  draft: CodeDraft;
  problems: ProblemMap;
  onChange: (draft: CodeDraft) => void;
}) {
  const codeProblem = problems["definition.code"];
  const position = codePosition(codeProblem);
  return (
    <div className="definition-part">
      <div className="field">
        <span>Code (Python)</span>
        <CodeEditor
          label="Code"
          value={draft.code}
          problemLine={position?.line ?? null}
          invalid={codeProblem !== undefined}
          onChange={(code) => onChange({ ...draft, code })}
        />
        <span className="field-help">
          The entry function&apos;s parameters take the inputs by name (<code>output</code>,{" "}
          <code>expected</code>, <code>input</code>, <code>metadata</code>…). Return a score, a
          label, <code>(score, explanation)</code> or a dict of <code>score</code>,{" "}
          <code>label</code>, <code>explanation</code>, <code>metadata</code>. It runs in a
          sandbox: no network, no files beyond a scratch directory.
        </span>
        <FieldProblem field="definition.code" text={codeProblem} />
      </div>
      <div className="form-row">
        <label className="field">
          Entry function
          <input
            type="text"
            value={draft.entry}
            spellCheck={false}
            onChange={(event) => onChange({ ...draft, entry: event.target.value })}
          />
          <FieldProblem field="definition.entry" text={problems["definition.entry"]} />
        </label>
        {(Object.keys(CODE_LIMITS) as CodeLimitKey[]).map((key) => (
          <label key={key} className="field">
            {CODE_LIMITS[key].label}
            <input
              type="text"
              inputMode="decimal"
              value={draft.limits[key]}
              aria-invalid={problems[`definition.limits.${key}`] !== undefined}
              onChange={(event) =>
                onChange({ ...draft, limits: { ...draft.limits, [key]: event.target.value } })
              }
            />
            <span className="field-help">
              {CODE_LIMITS[key].min === 0 ? "above 0" : `at least ${CODE_LIMITS[key].min}`}, at
              most {CODE_LIMITS[key].max}
            </span>
            <FieldProblem
              field={`definition.limits.${key}`}
              text={problems[`definition.limits.${key}`]}
            />
          </label>
        ))}
      </div>
    </div>
  );
}

// The editor -------------------------------------------------------------------------------------

/** The fields under `definition` each kind's editor shows (the rest shows above the editor). */
const PLACED: Record<EvaluatorKind, readonly string[]> = {
  BUILTIN: ["definition.evaluator", "definition.config"],
  LLM: [
    "definition.judge",
    "definition.template",
    "definition.provider",
    "definition.model",
    "definition.invocation_parameters",
  ],
  CODE: ["definition.code", "definition.entry", "definition.limits"],
};

export function DefinitionEditor({
  draft,
  problems,
  onChange,
  onProblem,
}: {
  draft: DefinitionDraft;
  problems: ProblemMap;
  onChange: (draft: DefinitionDraft) => void;
  /** A problem the editor found itself (a configuration the fields can't show). */
  onProblem: (field: string, message: string) => void;
}) {
  // Fields of another kind's editor are left out too: a refusal of the code stays with the
  // code while the form shows a judge.
  const elsewhere = unplacedProblems(
    problemsWithin(problems, "definition"),
    Object.values(PLACED).flat(),
  );
  return (
    <div className="definition-editor">
      <FormProblems texts={elsewhere} title="The definition was refused:" />
      {draft.kind === "BUILTIN" ? (
        <BuiltinEditor
          draft={draft.builtin}
          problems={problems}
          onChange={(builtin) => onChange({ ...draft, builtin })}
          onProblem={onProblem}
        />
      ) : draft.kind === "LLM" ? (
        <JudgeEditor
          draft={draft.llm}
          problems={problems}
          onChange={(llm) => onChange({ ...draft, llm })}
        />
      ) : (
        <CodeDefinitionEditor
          draft={draft.code}
          problems={problems}
          onChange={(code) => onChange({ ...draft, code })}
        />
      )}
    </div>
  );
}
