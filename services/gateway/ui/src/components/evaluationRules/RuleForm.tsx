// Creating or changing an online evaluation rule: its name and annotation name, the evaluator
// (from the evaluator library) and its version, the span filter, the target, the sampling rate,
// the delay and quiet period, the input mapping and the daily caps. "Dry run" asks how many of
// the project's spans of the last hour the filter matches and the rate samples, as the
// dispatcher would decide. A refusal of the API is shown under the field it names (a filter's
// line, column and reason under the filter).
import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";
import type { FormEvent, ReactNode } from "react";
import { Link } from "react-router";

import {
  createRule,
  dryRunRule,
  FieldsError,
  updateRule,
  useEvaluatorChoices,
} from "../../api/evaluationRules";
import type { DryRun, EvaluationRule, RuleTarget } from "../../api/evaluationRules";
import { dryRunSummary } from "./ruleFigures";
import {
  changedSettings,
  emptyRuleForm,
  parseSamplingRate,
  problemsByField,
  ruleFormOf,
  settingsOfForm,
} from "./ruleForm";
import type { FieldProblems, MappingRow, RuleFormState } from "./ruleForm";

const TARGETS: { value: RuleTarget; label: string }[] = [
  { value: "SPAN", label: "Each matching span" },
  { value: "TRACE", label: "The span's trace, once quiet" },
  { value: "SESSION", label: "The span's session, once idle" },
];

/** Where an evaluator reads its inputs from without a mapping. */
const MATERIAL_HINT =
  "Without a mapping, each input is read from the target's value of the same name (input, " +
  "output, metadata, context, tools, tool_calls); map one to another path, such as " +
  "attributes.llm.model_name or metadata.user_id.";

/** A labelled field with its hint and its problem under it; the control inside takes its id
 * from `control(field)`, so the label names it alone. */
function Field({
  label,
  problem,
  hint,
  wide = false,
  controlId,
  children,
}: {
  label: string;
  problem?: string;
  hint?: ReactNode;
  wide?: boolean;
  controlId: string;
  children: ReactNode;
}) {
  return (
    <div className={`field${wide ? " wide" : ""}`}>
      <label htmlFor={controlId}>{label}</label>
      {children}
      {hint ? <span className="field-hint muted">{hint}</span> : null}
      {problem ? (
        <span
          className="field-problem"
          role="alert"
          id={`${controlId}-problem`}
          data-testid="field-problem"
        >
          {problem}
        </span>
      ) : null}
    </div>
  );
}

export function RuleForm({
  projectName,
  rule,
  onSaved,
}: {
  projectName: string;
  /** The rule to change; none: a new rule. */
  rule?: EvaluationRule;
  onSaved: (saved: EvaluationRule) => void;
}) {
  const formId = useId();
  const [form, setForm] = useState<RuleFormState>(() =>
    rule ? ruleFormOf(rule) : emptyRuleForm(),
  );
  const [problems, setProblems] = useState<FieldProblems>({});
  const evaluators = useEvaluatorChoices();
  const chosen = evaluators.data?.find((evaluator) => evaluator.id === form.evaluatorId);

  const update = (change: Partial<RuleFormState>) => {
    setForm((previous) => ({ ...previous, ...change }));
    // A field changed: its complaint no longer applies.
    setProblems((previous) => {
      const next = { ...previous };
      for (const key of Object.keys(change)) delete next[fieldKeys[key as keyof RuleFormState]];
      return next;
    });
  };
  const setMapping = (mapping: MappingRow[]) => update({ mapping });

  /** A failed request: under its fields when the API named them, else under the form. */
  const refused = (error: Error) => {
    if (error instanceof FieldsError) setProblems(problemsByField(error.fields));
  };
  const save = useMutation({
    mutationFn: async () => {
      const outcome = settingsOfForm(form);
      if (outcome.problems) {
        setProblems(outcome.problems);
        return null;
      }
      if (!rule) return createRule(projectName, outcome.settings);
      return updateRule(rule.id, changedSettings(rule, outcome.settings));
    },
    onSuccess: (saved) => {
      if (saved) onSaved(saved);
    },
    onError: refused,
  });
  const dryRun = useMutation({
    mutationFn: async (): Promise<DryRun | null> => {
      const rate = parseSamplingRate(form.samplingRate);
      if (typeof rate === "string") {
        setProblems((previous) => ({ ...previous, sampling_rate: rate }));
        return null;
      }
      return dryRunRule(projectName, {
        filter: form.filter.trim(),
        target: form.target,
        sampling_rate: rate,
      });
    },
    onError: refused,
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  const formError = save.error && !(save.error instanceof FieldsError) ? save.error : null;
  const dryRunError = dryRun.error && !(dryRun.error instanceof FieldsError) ? dryRun.error : null;
  // A complaint about a field the form does not show (the body as a whole, say).
  const unplaced = Object.entries(problems).filter(([field]) => !FIELDS.has(field));
  const controlId = (field: string) => `${formId}-${field}`;
  const control = (field: string) => ({
    id: controlId(field),
    ...(problems[field]
      ? { "aria-invalid": true as const, "aria-describedby": `${controlId(field)}-problem` }
      : {}),
  });

  return (
    <form
      className="panel rule-form"
      onSubmit={submit}
      aria-label={rule ? `Change ${rule.name}` : "New evaluation rule"}
      noValidate
    >
      <h2>{rule ? `Change “${rule.name}”` : "New evaluation rule"}</h2>
      {rule ? (
        <p className="muted">
          A change to what the rule does (all but its name and caps) makes version{" "}
          {rule.version + 1}: jobs of version {rule.version} not yet run are dropped.
        </p>
      ) : null}
      <div className="rule-form-grid">
        <Field label="Name" problem={problems.name} controlId={controlId("name")}>
          <input
            type="text"
            name="name"
            value={form.name}
            onChange={(event) => update({ name: event.target.value })}
            {...control("name")}
          />
        </Field>
        <Field
          label="Annotation name"
          problem={problems.annotation_name}
          controlId={controlId("annotation_name")}
          hint="The scores are stored under this name (default: the rule's name)."
        >
          <input
            type="text"
            name="annotationName"
            value={form.annotationName}
            placeholder={form.name.trim() || "the rule's name"}
            onChange={(event) => update({ annotationName: event.target.value })}
            {...control("annotation_name")}
          />
        </Field>
        <Field
          label="Evaluator"
          problem={problems.evaluator ?? (evaluators.error ? evaluators.error.message : undefined)}
          controlId={controlId("evaluator")}
          hint={
            evaluators.data && evaluators.data.length === 0 ? (
              <>
                No evaluator yet: create one in the <Link to="/evaluators">evaluator library</Link>
                .
              </>
            ) : (
              chosen?.description
            )
          }
        >
          <select
            name="evaluator"
            value={form.evaluatorId}
            onChange={(event) => update({ evaluatorId: event.target.value, evaluatorVersion: "" })}
            {...control("evaluator")}
          >
            <option value="">{evaluators.isPending ? "Loading…" : "Choose an evaluator"}</option>
            {(evaluators.data ?? []).map((evaluator) => (
              <option key={evaluator.id} value={evaluator.id}>
                {evaluator.name} ({evaluator.kind}, v{evaluator.version})
              </option>
            ))}
            {rule && !evaluators.data?.some((evaluator) => evaluator.id === rule.evaluator.id) ? (
              <option value={rule.evaluator.id}>{rule.evaluator.name}</option>
            ) : null}
          </select>
        </Field>
        <Field
          label="Evaluator version"
          problem={problems.evaluator_version}
          controlId={controlId("evaluator_version")}
        >
          <select
            name="evaluatorVersion"
            value={form.evaluatorVersion}
            onChange={(event) => update({ evaluatorVersion: event.target.value })}
            {...control("evaluator_version")}
          >
            <option value="">Always the latest</option>
            {Array.from({ length: chosen?.version ?? 0 }, (_, index) => index + 1)
              .reverse()
              .map((version) => (
                <option key={version} value={String(version)}>
                  Version {version}
                </option>
              ))}
            {form.evaluatorVersion && !chosen ? (
              <option value={form.evaluatorVersion}>Version {form.evaluatorVersion}</option>
            ) : null}
          </select>
        </Field>
        <Field
          label="Filter"
          wide
          problem={problems.filter}
          controlId={controlId("filter")}
          hint="A span filter expression, such as span_kind == 'LLM'; empty: every span."
        >
          <input
            type="text"
            name="filter"
            className="mono"
            value={form.filter}
            placeholder="span_kind == 'LLM' and 'refund' in input.value"
            spellCheck={false}
            autoComplete="off"
            onChange={(event) => update({ filter: event.target.value })}
            {...control("filter")}
          />
        </Field>
        <Field label="Target" problem={problems.target} controlId={controlId("target")}>
          <select
            name="target"
            value={form.target}
            onChange={(event) => update({ target: event.target.value as RuleTarget })}
            {...control("target")}
          >
            {TARGETS.map((target) => (
              <option key={target.value} value={target.value}>
                {target.label}
              </option>
            ))}
          </select>
        </Field>
        <Field
          label="Sampling rate (0 to 1)"
          problem={problems.sampling_rate}
          controlId={controlId("sampling_rate")}
          hint="Drawn from the trace's (or session's) id: a lower rate scores a subset of a higher."
        >
          <input
            type="text"
            inputMode="decimal"
            name="samplingRate"
            value={form.samplingRate}
            onChange={(event) => update({ samplingRate: event.target.value })}
            {...control("sampling_rate")}
          />
        </Field>
        <Field
          label="Delay (seconds)"
          problem={problems.delay_seconds}
          controlId={controlId("delay_seconds")}
          hint="Wait this long after the span arrives before scoring."
        >
          <input
            type="text"
            inputMode="decimal"
            name="delaySeconds"
            value={form.delaySeconds}
            onChange={(event) => update({ delaySeconds: event.target.value })}
            {...control("delay_seconds")}
          />
        </Field>
        <Field
          label="Quiet period (seconds)"
          problem={problems.quiet_seconds}
          controlId={controlId("quiet_seconds")}
          hint="A trace or session is scored once no span of it arrived for this long."
        >
          <input
            type="text"
            inputMode="decimal"
            name="quietSeconds"
            value={form.quietSeconds}
            disabled={form.target === "SPAN"}
            onChange={(event) => update({ quietSeconds: event.target.value })}
            {...control("quiet_seconds")}
          />
        </Field>
        <fieldset className="wide">
          <legend>Input mapping</legend>
          {chosen?.profile?.inputs ? (
            <p className="field-hint muted">
              {chosen.name} reads: {chosen.profile.inputs.join(", ") || "nothing"}.
            </p>
          ) : null}
          {form.mapping.map((row, index) => (
            <div className="mapping-row" key={index} data-testid="mapping-row">
              <input
                type="text"
                aria-label={`Input name ${index + 1}`}
                placeholder="input name (output)"
                value={row.input}
                onChange={(event) =>
                  setMapping(
                    form.mapping.map((other, position) =>
                      position === index ? { ...other, input: event.target.value } : other,
                    ),
                  )
                }
              />
              <input
                type="text"
                aria-label={`Path ${index + 1}`}
                placeholder="path (output, attributes.llm.model_name)"
                value={row.path}
                onChange={(event) =>
                  setMapping(
                    form.mapping.map((other, position) =>
                      position === index ? { ...other, path: event.target.value } : other,
                    ),
                  )
                }
              />
              <button
                type="button"
                aria-label={`Remove mapping ${index + 1}`}
                onClick={() =>
                  setMapping(form.mapping.filter((_, position) => position !== index))
                }
              >
                Remove
              </button>
            </div>
          ))}
          <button
            type="button"
            onClick={() => setMapping([...form.mapping, { input: "", path: "" }])}
          >
            Add a mapping
          </button>
          <p className="field-hint muted">{MATERIAL_HINT}</p>
          {problems.input_mapping ? (
            <p className="field-problem" role="alert" data-testid="field-problem">
              {problems.input_mapping}
            </p>
          ) : null}
        </fieldset>
        <Field
          label="Tokens per day (cap)"
          problem={problems.max_tokens_per_day}
          controlId={controlId("max_tokens_per_day")}
          hint="Empty: no cap. Over the cap, targets are shed until the next day (UTC)."
        >
          <input
            type="text"
            inputMode="numeric"
            name="maxTokensPerDay"
            value={form.maxTokensPerDay}
            placeholder="no cap"
            onChange={(event) => update({ maxTokensPerDay: event.target.value })}
            {...control("max_tokens_per_day")}
          />
        </Field>
        <Field
          label="Cost per day, USD (cap)"
          problem={problems.max_cost_per_day}
          controlId={controlId("max_cost_per_day")}
          hint="Empty: no cap."
        >
          <input
            type="text"
            inputMode="decimal"
            name="maxCostPerDay"
            value={form.maxCostPerDay}
            placeholder="no cap"
            onChange={(event) => update({ maxCostPerDay: event.target.value })}
            {...control("max_cost_per_day")}
          />
        </Field>
      </div>
      <div className="dry-run">
        <button
          type="button"
          onClick={() => dryRun.mutate()}
          disabled={dryRun.isPending}
          data-testid="dry-run"
        >
          {dryRun.isPending ? "Counting…" : "Dry run"}
        </button>
        {dryRun.data ? (
          <span className="dry-run-result" role="status" data-testid="dry-run-result">
            {dryRunSummary(dryRun.data, form.target)}
          </span>
        ) : (
          <span className="muted">How many spans of the last hour would the rule score?</span>
        )}
        {dryRunError ? (
          <span className="form-problem" role="alert">
            {dryRunError.message}
          </span>
        ) : null}
      </div>
      {formError ? (
        <p className="form-problem" role="alert" data-testid="form-problem">
          {formError.message}
        </p>
      ) : null}
      {unplaced.map(([field, message]) => (
        <p key={field} className="form-problem" role="alert" data-testid="form-problem">
          {field}: {message}
        </p>
      ))}
      <div className="dialog-actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : rule ? "Save changes" : "Create rule"}
        </button>
      </div>
    </form>
  );
}

/** The 422 key of each form field, to clear its complaint when it changes. */
const fieldKeys: Record<keyof RuleFormState, string> = {
  name: "name",
  annotationName: "annotation_name",
  evaluatorId: "evaluator",
  evaluatorVersion: "evaluator_version",
  filter: "filter",
  target: "target",
  samplingRate: "sampling_rate",
  delaySeconds: "delay_seconds",
  quietSeconds: "quiet_seconds",
  mapping: "input_mapping",
  maxTokensPerDay: "max_tokens_per_day",
  maxCostPerDay: "max_cost_per_day",
};

const FIELDS = new Set(Object.values(fieldKeys));
