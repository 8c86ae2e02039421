// A stored definition as it reads: the built-in and its configuration, the judge (built-in, or
// its template's messages and choices) with its model, or the code with its entry and limits;
// and the JSON as it was saved.
import type { EvaluatorKind, EvaluatorProfile, JsonObject } from "../../api/evaluators";
import { TemplateMessages } from "../prompts/TemplateView";
import { builtinEntry, judgeEntry } from "./catalog";
import { givesText, readsText } from "./profileText";

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function Facts({ rows }: { rows: [string, React.ReactNode][] }) {
  return (
    <dl className="definition-facts">
      {rows.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function Summary({ kind, definition }: { kind: EvaluatorKind; definition: JsonObject }) {
  if (kind === "BUILTIN") {
    const name = text(definition.evaluator);
    const config = isObject(definition.config) ? definition.config : {};
    return (
      <>
        <Facts
          rows={[
            ["Built-in", <code key="name">{name}</code>],
            ["About", builtinEntry(name)?.description ?? "–"],
          ]}
        />
        <h4>Configuration</h4>
        <pre data-testid="definition-config">
          {Object.keys(config).length ? JSON.stringify(config, null, 2) : "defaults"}
        </pre>
      </>
    );
  }
  if (kind === "LLM") {
    const template = isObject(definition.template) ? definition.template : null;
    const judge = text(definition.judge);
    const parameters = isObject(definition.invocation_parameters)
      ? definition.invocation_parameters
      : {};
    return (
      <>
        <Facts
          rows={[
            ["Judge", template ? `own template ${text(template.name)}` : judge],
            ["About", template ? text(template.description) || "–" : judgeEntry(judge)?.description ?? "–"],
            ["Model", `${text(definition.provider)} / ${text(definition.model)}`],
            [
              "Parameters",
              Object.keys(parameters).length ? <code>{JSON.stringify(parameters)}</code> : "none",
            ],
          ]}
        />
        {template ? (
          <>
            <h4>Messages ({text(template.template_format).toLowerCase() || "mustache"})</h4>
            <TemplateMessages template={{ messages: template.messages }} />
            <h4>Choices</h4>
            <pre>{JSON.stringify(template.choices, null, 2)}</pre>
          </>
        ) : null}
      </>
    );
  }
  const limits = isObject(definition.limits) ? definition.limits : {};
  return (
    <>
      <Facts
        rows={[
          ["Entry", <code key="entry">{text(definition.entry) || "evaluate"}</code>],
          ["Limits", Object.keys(limits).length ? JSON.stringify(limits) : "defaults"],
        ]}
      />
      <pre className="definition-code" data-testid="definition-code">
        {text(definition.code)}
      </pre>
    </>
  );
}

export function DefinitionView({
  kind,
  definition,
  profile,
}: {
  kind: EvaluatorKind;
  definition: JsonObject;
  profile: EvaluatorProfile | null;
}) {
  return (
    <div className="definition-view" data-testid="definition-view">
      <Facts
        rows={[
          ["Reads", readsText(profile)],
          ["Gives", givesText(profile)],
        ]}
      />
      <Summary kind={kind} definition={definition} />
      <details>
        <summary>The definition as saved (JSON)</summary>
        <pre>{JSON.stringify(definition, null, 2)}</pre>
      </details>
    </div>
  );
}
