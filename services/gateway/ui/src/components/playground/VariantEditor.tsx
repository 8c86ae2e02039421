// One variant of the playground: its model (provider and name), template format, messages
// (role and text; tool calls and results shown as they are), invocation parameters and tools
// (JSON, checked as typed), its answer below, and what can be done with it: run or stop it,
// save it as a prompt version, run it over a dataset, copy or remove it.
import type { ReactNode } from "react";

import { CanWrite } from "../auth/viewer";
import { RunOutput } from "./RunOutput";
import type { VariantRun } from "./runs";
import { TEMPLATE_FORMATS } from "./templates";
import type { TemplateFormat } from "./templates";
import { PROVIDERS, ROLES, newMessage } from "./variants";
import type { EditorMessage, Role, Variant } from "./variants";

/** Why `text` can't be the JSON the field takes (null if it can). */
function jsonProblem(text: string, kind: "object" | "list"): string | null {
  if (!text.trim()) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "Not valid JSON";
  }
  if (kind === "list" && !Array.isArray(value)) return "Must be a JSON list";
  if (kind === "object" && (typeof value !== "object" || value === null || Array.isArray(value))) {
    return "Must be a JSON object";
  }
  return null;
}

function JsonField({
  label,
  value,
  kind,
  placeholder,
  onChange,
}: {
  label: string;
  value: string;
  kind: "object" | "list";
  placeholder: string;
  onChange: (value: string) => void;
}) {
  const problem = jsonProblem(value, kind);
  return (
    <label className="field">
      {label}
      <textarea
        rows={Math.min(12, Math.max(2, value.split("\n").length))}
        value={value}
        placeholder={placeholder}
        spellCheck={false}
        aria-invalid={problem != null}
        onChange={(event) => onChange(event.target.value)}
      />
      {problem ? <span className="field-problem">{problem}</span> : null}
    </label>
  );
}

function MessageEditor({
  message,
  position,
  variantLabel,
  onChange,
  onRemove,
}: {
  message: EditorMessage;
  position: number;
  variantLabel: string;
  onChange: (message: EditorMessage) => void;
  onRemove: (() => void) | null;
}) {
  const name = `${variantLabel} message ${position + 1}`;
  return (
    <li className={`message-editor role-${message.role}`} data-testid="message-editor">
      <div className="message-editor-bar">
        <select
          aria-label={`Role of ${name}`}
          value={message.role}
          onChange={(event) => onChange({ ...message, role: event.target.value as Role })}
        >
          {ROLES.map((role) => (
            <option key={role} value={role}>
              {role}
            </option>
          ))}
        </select>
        {onRemove ? (
          <button
            type="button"
            className="link-button"
            onClick={onRemove}
            aria-label={`Remove ${name}`}
          >
            Remove
          </button>
        ) : null}
      </div>
      <textarea
        aria-label={`Content of ${name}`}
        rows={Math.min(10, Math.max(2, message.content.split("\n").length))}
        value={message.content}
        onChange={(event) => onChange({ ...message, content: event.target.value })}
      />
      {message.parts.length ? (
        <pre className="message-parts" aria-label={`Tool calls and results of ${name}`}>
          {JSON.stringify(message.parts, null, 2)}
        </pre>
      ) : null}
    </li>
  );
}

export interface VariantActions {
  onRun: () => void;
  onStop: () => void;
  onSave: () => void;
  onRunOverDataset: () => void;
  onCopy: (() => void) | null;
  onRemove: (() => void) | null;
}

export function VariantEditor({
  variant,
  label,
  run,
  actions,
  onChange,
  children,
}: {
  variant: Variant;
  label: string;
  run: VariantRun | undefined;
  actions: VariantActions;
  onChange: (variant: Variant) => void;
  children?: ReactNode;
}) {
  const running = run?.status === "running";
  const setMessage = (index: number, message: EditorMessage) =>
    onChange({
      ...variant,
      messages: variant.messages.map((item, position) => (position === index ? message : item)),
    });
  const lastRole = variant.messages.at(-1)?.role;
  return (
    <section className="panel variant" aria-label={label} data-testid="variant">
      <header className="variant-header">
        <h2>{label}</h2>
        {variant.origin ? <span className="muted">{variant.origin}</span> : null}
        <span className="variant-header-actions">
          {actions.onCopy ? (
            <button type="button" onClick={actions.onCopy} aria-label={`Copy ${label}`}>
              Copy
            </button>
          ) : null}
          {actions.onRemove ? (
            <button type="button" onClick={actions.onRemove} aria-label={`Remove ${label}`}>
              Remove
            </button>
          ) : null}
        </span>
      </header>
      <div className="variant-model">
        <label className="field">
          Provider
          <select
            value={variant.provider}
            onChange={(event) => onChange({ ...variant, provider: event.target.value })}
          >
            {PROVIDERS.map((provider) => (
              <option key={provider} value={provider}>
                {provider}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Model
          <input
            type="text"
            value={variant.model}
            onChange={(event) => onChange({ ...variant, model: event.target.value })}
          />
        </label>
        <label className="field">
          Template
          <select
            value={variant.templateFormat}
            onChange={(event) =>
              onChange({ ...variant, templateFormat: event.target.value as TemplateFormat })
            }
          >
            {TEMPLATE_FORMATS.map((format) => (
              <option key={format} value={format}>
                {format === "NONE" ? "no variables" : format.toLowerCase().replace("_", "-")}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ol className="message-editors" aria-label={`${label} messages`}>
        {variant.messages.map((message, index) => (
          <MessageEditor
            key={message.id}
            message={message}
            position={index}
            variantLabel={label}
            onChange={(changed) => setMessage(index, changed)}
            onRemove={
              variant.messages.length > 1
                ? () =>
                    onChange({
                      ...variant,
                      messages: variant.messages.filter((_, position) => position !== index),
                    })
                : null
            }
          />
        ))}
      </ol>
      <button
        type="button"
        onClick={() =>
          onChange({
            ...variant,
            messages: [...variant.messages, newMessage(lastRole === "user" ? "assistant" : "user")],
          })
        }
      >
        Add message
      </button>
      <div className="variant-settings">
        <JsonField
          label="Invocation parameters (JSON)"
          value={variant.parameters}
          kind="object"
          placeholder='{"temperature": 0.2, "max_tokens": 256}'
          onChange={(parameters) => onChange({ ...variant, parameters })}
        />
        <JsonField
          label="Tools (JSON)"
          value={variant.tools}
          kind="list"
          placeholder='[{"type": "function", "function": {"name": "lookup", "parameters": {}}}]'
          onChange={(tools) => onChange({ ...variant, tools })}
        />
      </div>
      <CanWrite>
        <div className="variant-actions">
          {running ? (
            <button type="button" onClick={actions.onStop}>
              Stop
            </button>
          ) : (
            <button
              type="button"
              className="primary"
              onClick={actions.onRun}
              aria-label={`Run ${label}`}
            >
              Run
            </button>
          )}
          <button type="button" onClick={actions.onSave} aria-label={`Save ${label} as a version`}>
            Save as a version
          </button>
          <button
            type="button"
            onClick={actions.onRunOverDataset}
            aria-label={`Run ${label} over a dataset`}
          >
            Run over a dataset
          </button>
        </div>
      </CanWrite>
      {children}
      <RunOutput run={run} />
    </section>
  );
}
