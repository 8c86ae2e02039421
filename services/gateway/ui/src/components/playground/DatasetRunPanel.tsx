// "Run over a dataset": a variant run by the server once per (example, repetition) of a dataset
// version (the latest by default), optionally only some splits, as a new experiment
// (`POST /v1/experiment_jobs`); the examples' inputs fill in its variables. Its progress is
// then followed live below, with cancel and resume, and a link to the experiment.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";

import { useGraphQL } from "../../api/hooks";
import { restJson } from "../../api/rest";
import { graphql } from "../../gql";
import { formatCount, formatTime } from "../../lib/format";
import { JobProgress } from "../experiments/JobProgress";
import { experimentPrompt } from "./variants";
import type { Variant } from "./variants";

const RunDatasetsQuery = graphql(`
  query RunDatasets {
    datasets(first: 200) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

const RunDatasetQuery = graphql(`
  query RunDataset($id: ID!) {
    dataset(id: $id) {
      id
      exampleCount
      versions(first: 50) {
        edges {
          node {
            id
            createdAt
            description
          }
        }
      }
      splits {
        id
        name
      }
    }
  }
`);

interface StartedJob {
  id: string;
  experiment_id: string;
}

export function DatasetRunPanel({
  variants,
  initialDatasetId,
  initialVariantId,
  onClose,
}: {
  variants: { variant: Variant; label: string }[];
  initialDatasetId: string;
  initialVariantId: string;
  onClose: () => void;
}) {
  const [datasetId, setDatasetId] = useState(initialDatasetId);
  const [versionId, setVersionId] = useState("");
  const [splitIds, setSplitIds] = useState<string[]>([]);
  const [repetitions, setRepetitions] = useState("1");
  const [name, setName] = useState("");
  const [variantId, setVariantId] = useState(initialVariantId);
  const datasets = useGraphQL(RunDatasetsQuery, {});
  const dataset = useGraphQL(RunDatasetQuery, { id: datasetId }, { enabled: datasetId !== "" });
  const chosen = variants.find((item) => item.variant.id === variantId) ?? variants[0];
  const start = useMutation({
    mutationFn: () =>
      restJson<{ data: StartedJob }>("POST", "/v1/experiment_jobs", {
        dataset_id: datasetId,
        ...(versionId ? { version_id: versionId } : {}),
        ...(splitIds.length ? { splits: splitIds } : {}),
        repetitions: Number(repetitions),
        ...(name.trim() ? { name: name.trim() } : {}),
        prompt: experimentPrompt(chosen.variant),
      }),
  });
  const repetitionsValid = /^[1-9][0-9]{0,3}$/.test(repetitions);
  function submit(event: FormEvent) {
    event.preventDefault();
    start.mutate();
  }
  const info = dataset.data?.dataset;
  return (
    <section className="panel dataset-run" aria-label="Run over a dataset">
      <header className="variant-header">
        <h2>Run over a dataset</h2>
        <span className="variant-header-actions">
          <button type="button" onClick={onClose}>
            Close
          </button>
        </span>
      </header>
      <form className="dataset-run-form" onSubmit={submit}>
        <label className="field">
          Variant
          <select value={chosen.variant.id} onChange={(event) => setVariantId(event.target.value)}>
            {variants.map((item) => (
              <option key={item.variant.id} value={item.variant.id}>
                {item.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Dataset
          <select
            value={datasetId}
            onChange={(event) => {
              setDatasetId(event.target.value);
              setVersionId("");
              setSplitIds([]);
            }}
          >
            <option value="">Choose a dataset…</option>
            {(datasets.data?.datasets.edges ?? []).map(({ node }) => (
              <option key={node.id} value={node.id}>
                {node.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Version
          <select
            value={versionId}
            disabled={!info}
            onChange={(event) => setVersionId(event.target.value)}
          >
            <option value="">Latest</option>
            {(info?.versions.edges ?? []).map(({ node }) => (
              <option key={node.id} value={node.id}>
                {formatTime(node.createdAt)}
                {node.description ? ` – ${node.description}` : ""}
              </option>
            ))}
          </select>
        </label>
        {info?.splits.length ? (
          <fieldset className="field split-choice">
            <legend>Splits (none: every example)</legend>
            {info.splits.map((split) => (
              <label key={split.id} className="inline-field">
                <input
                  type="checkbox"
                  checked={splitIds.includes(split.id)}
                  onChange={() =>
                    setSplitIds((current) =>
                      current.includes(split.id)
                        ? current.filter((id) => id !== split.id)
                        : [...current, split.id],
                    )
                  }
                />
                {split.name}
              </label>
            ))}
          </fieldset>
        ) : null}
        <label className="field">
          Repetitions
          <input
            type="text"
            inputMode="numeric"
            value={repetitions}
            aria-invalid={!repetitionsValid}
            onChange={(event) => setRepetitions(event.target.value)}
          />
        </label>
        <label className="field">
          Experiment name (optional)
          <input type="text" value={name} onChange={(event) => setName(event.target.value)} />
        </label>
        <div className="dialog-actions">
          {info ? (
            <span className="muted">
              {formatCount(info.exampleCount)} examples in the latest version
            </span>
          ) : null}
          <button
            type="submit"
            className="primary"
            disabled={!datasetId || !repetitionsValid || start.isPending}
          >
            Start the experiment
          </button>
        </div>
        {start.error ? (
          <p className="form-problem" role="alert">
            {start.error.message}
          </p>
        ) : null}
      </form>
      {start.data ? <JobProgress experimentId={start.data.data.experiment_id} /> : null}
    </section>
  );
}
