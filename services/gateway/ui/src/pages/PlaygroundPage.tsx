// `/playground`: try prompts against models. Up to four variants side by side, each with its
// model, messages, invocation parameters and tools; the template's variables (found in every
// variant's messages) are filled in once, above them. Run one variant or all at once: each
// answer streams in beside its prompt, with its tokens, cost and trace. A variant can be saved
// as a prompt version, or run by the server over a dataset as an experiment.
//
// It opens empty, or with `?promptVersionId=` (a stored version), `?spanId=` (an LLM span's
// call, replayed) or `?datasetId=` (the dataset run open, that dataset chosen).
import { useState } from "react";
import { Link, useSearchParams } from "react-router";

import { useGraphQL } from "../api/hooks";
import { CanWrite, useCan } from "../components/auth/viewer";
import { DatasetRunPanel } from "../components/playground/DatasetRunPanel";
import { useVariantRuns } from "../components/playground/runs";
import { SaveVersionDialog } from "../components/playground/SaveVersionDialog";
import { variantFromSpan } from "../components/playground/spanPrompt";
import { VariantEditor } from "../components/playground/VariantEditor";
import {
  copyVariant,
  emptyVariant,
  variantFromVersion,
  variantVariables,
} from "../components/playground/variants";
import type { Variant } from "../components/playground/variants";
import { promptPath } from "../components/prompts/promptPaths";
import { ErrorState, Loading } from "../components/States";
import { graphql } from "../gql";
import "../components/datasets/datasets.css";
import "../components/experiments/experiments.css";
import "../components/prompts/prompts.css";
import "../components/playground/playground.css";

const MAX_VARIANTS = 4;

const PlaygroundVersionQuery = graphql(`
  query PlaygroundVersion($id: ID!) {
    promptVersion(id: $id) {
      id
      sequenceNumber
      modelProvider
      modelName
      templateFormat
      template
      invocationParameters
      tools
      responseFormat
      prompt {
        id
        name
      }
    }
  }
`);

const PlaygroundSpanQuery = graphql(`
  query PlaygroundSpan($spanId: ID!) {
    span(spanId: $spanId) {
      id
      spanId
      name
      spanKind
      attributes
    }
  }
`);

function Playground({
  initial,
  datasetId,
  source,
}: {
  initial: Variant;
  datasetId: string | null;
  source: React.ReactNode;
}) {
  const [variants, setVariants] = useState<Variant[]>([initial]);
  const [values, setValues] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState<Variant | null>(null);
  const [datasetRun, setDatasetRun] = useState<{ variantId: string } | null>(
    datasetId ? { variantId: initial.id } : null,
  );
  const { runs, start, stop } = useVariantRuns();
  const canWrite = useCan("write");
  const variables = [...new Set(variants.flatMap(variantVariables))];
  const labelled = variants.map((variant, index) => ({ variant, label: `Variant ${index + 1}` }));
  const anyRunning = variants.some((variant) => runs[variant.id]?.status === "running");

  const change = (changed: Variant) =>
    setVariants((current) =>
      current.map((variant) => (variant.id === changed.id ? changed : variant)),
    );

  return (
    <div className="playground-page">
      <div className="page-toolbar">
        <h1>Playground</h1>
        {source}
        <button
          type="button"
          disabled={variants.length >= MAX_VARIANTS}
          onClick={() =>
            setVariants((current) => [...current, copyVariant(current.at(-1) ?? initial)])
          }
        >
          Add variant
        </button>
        <CanWrite
          fallback={<span className="muted">Your role can write prompts here but not run them.</span>}
        >
          <button
            type="button"
            className="primary"
            disabled={anyRunning}
            onClick={() => variants.forEach((variant) => start(variant, values))}
          >
            Run all
          </button>
        </CanWrite>
      </div>
      {variables.length ? (
        <section className="panel playground-variables" aria-label="Template variables">
          <h2>Variables</h2>
          {variables.map((name) => (
            <label key={name} className="field">
              {name}
              <textarea
                rows={2}
                aria-label={`Variable ${name}`}
                value={values[name] ?? ""}
                onChange={(event) =>
                  setValues((current) => ({ ...current, [name]: event.target.value }))
                }
              />
            </label>
          ))}
        </section>
      ) : null}
      {datasetRun && canWrite ? (
        <DatasetRunPanel
          key={datasetRun.variantId}
          variants={labelled}
          initialDatasetId={datasetId ?? ""}
          initialVariantId={datasetRun.variantId}
          onClose={() => setDatasetRun(null)}
        />
      ) : null}
      <div className={`variants variants-${variants.length}`}>
        {labelled.map(({ variant, label }) => (
          <VariantEditor
            key={variant.id}
            variant={variant}
            label={label}
            run={runs[variant.id]}
            onChange={change}
            actions={{
              onRun: () => start(variant, values),
              onStop: () => stop(variant.id),
              onSave: () => setSaving(variant),
              onRunOverDataset: () => setDatasetRun({ variantId: variant.id }),
              onCopy:
                variants.length < MAX_VARIANTS
                  ? () => setVariants((current) => [...current, copyVariant(variant)])
                  : null,
              onRemove:
                variants.length > 1
                  ? () => {
                      stop(variant.id);
                      setVariants((current) => current.filter((item) => item.id !== variant.id));
                    }
                  : null,
            }}
          />
        ))}
      </div>
      {saving ? <SaveVersionDialog variant={saving} onClose={() => setSaving(null)} /> : null}
    </div>
  );
}

function FromVersion({ versionId, datasetId }: { versionId: string; datasetId: string | null }) {
  const { data, error, isPending } = useGraphQL(PlaygroundVersionQuery, { id: versionId });
  if (isPending) return <Loading label="Loading the prompt version…" />;
  if (error) return <ErrorState error={error} />;
  const version = data.promptVersion;
  if (!version) {
    return <ErrorState error={new Error(`No prompt version has the id ${versionId}.`)} />;
  }
  const name = version.prompt?.name ?? null;
  const origin = `${name ?? "prompt"} version ${version.sequenceNumber}`;
  return (
    <Playground
      key={version.id}
      initial={variantFromVersion(version, origin, name)}
      datasetId={datasetId}
      source={
        version.prompt ? (
          <span className="muted">
            From <Link to={promptPath(version.prompt.id)}>{version.prompt.name}</Link>, version{" "}
            {version.sequenceNumber}
          </span>
        ) : null
      }
    />
  );
}

function FromSpan({ spanId, datasetId }: { spanId: string; datasetId: string | null }) {
  const { data, error, isPending } = useGraphQL(PlaygroundSpanQuery, { spanId });
  if (isPending) return <Loading label="Loading the span…" />;
  if (error) return <ErrorState error={error} />;
  const span = data.span;
  if (!span) return <ErrorState error={new Error(`No span has the id ${spanId}.`)} />;
  return (
    <Playground
      key={span.id}
      initial={variantFromSpan(span.attributes, `span ${span.name}`)}
      datasetId={datasetId}
      source={
        <span className="muted">
          Replaying the LLM call of span{" "}
          <Link to={`/spans/${encodeURIComponent(span.spanId)}`}>{span.name}</Link>
        </span>
      }
    />
  );
}

export default function PlaygroundPage() {
  const [searchParams] = useSearchParams();
  const versionId = searchParams.get("promptVersionId");
  const spanId = searchParams.get("spanId");
  const datasetId = searchParams.get("datasetId");
  if (versionId) return <FromVersion versionId={versionId} datasetId={datasetId} />;
  if (spanId) return <FromSpan spanId={spanId} datasetId={datasetId} />;
  return <Playground key="empty" initial={emptyVariant()} datasetId={datasetId} source={null} />;
}
