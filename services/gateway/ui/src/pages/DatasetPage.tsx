// `/datasets/<id>`: the dataset's name, description and figures above its tabs (Experiments,
// Examples, Versions, Evaluators); each tab is a child route rendered below. The dataset can be
// renamed, described or deleted from here, and "Run a prompt" opens the playground ready to run
// over it.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";
import { Link, NavLink, Outlet, useNavigate, useParams } from "react-router";

import { request } from "../api/graphql";
import { useGraphQL } from "../api/hooks";
import { CanWrite } from "../components/auth/viewer";
import { datasetPath } from "../components/datasets/datasetPaths";
import { playgroundPath } from "../components/prompts/promptPaths";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { graphql } from "../gql";
import { formatCount, formatTime } from "../lib/format";
import "../components/datasets/datasets.css";

const DatasetHeaderQuery = graphql(`
  query DatasetHeader($id: ID!) {
    dataset(id: $id) {
      id
      name
      description
      createdAt
      exampleCount
      latestVersion {
        id
        createdAt
      }
      labels {
        id
        name
        color
      }
    }
  }
`);

const PatchDatasetMutation = graphql(`
  mutation PatchDataset($input: PatchDatasetInput!) {
    patchDataset(input: $input) {
      dataset {
        id
        name
        description
      }
    }
  }
`);

const DeleteDatasetMutation = graphql(`
  mutation DeleteDataset($input: DeleteDatasetInput!) {
    deleteDataset(input: $input) {
      dataset {
        id
      }
    }
  }
`);

function EditDatasetForm({
  dataset,
  onDone,
}: {
  dataset: { id: string; name: string; description?: string | null };
  onDone: () => void;
}) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(dataset.name);
  const [description, setDescription] = useState(dataset.description ?? "");
  const save = useMutation({
    mutationFn: () =>
      request(PatchDatasetMutation, {
        input: { datasetId: dataset.id, name: name.trim(), description: description.trim() || null },
      }),
    onSuccess: async () => {
      await queryClient.invalidateQueries();
      onDone();
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }
  return (
    <form className="dataset-edit" onSubmit={submit} aria-label="Edit dataset">
      <label className="field">
        Name
        <input type="text" value={name} onChange={(event) => setName(event.target.value)} />
      </label>
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

export default function DatasetPage() {
  const { datasetId = "" } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const header = useGraphQL(DatasetHeaderQuery, { id: datasetId });
  const remove = useMutation({
    mutationFn: () => request(DeleteDatasetMutation, { input: { datasetId } }),
    onSuccess: async () => {
      await navigate("/datasets");
      await queryClient.invalidateQueries();
    },
  });

  if (header.isPending) return <Loading label="Loading the dataset…" />;
  if (header.error) return <ErrorState error={header.error} />;
  const dataset = header.data.dataset;
  if (!dataset) {
    return (
      <EmptyState title="No such dataset">
        It may have been deleted. <Link to="/datasets">See every dataset</Link>.
      </EmptyState>
    );
  }

  return (
    <div className="dataset-page">
      <div className="project-header">
        <div className="project-title">
          <Link to="/datasets">Datasets</Link> / <h1>{dataset.name}</h1>
        </div>
        <nav className="tabs" aria-label="Dataset">
          <NavLink to={datasetPath(dataset.id, "experiments")}>Experiments</NavLink>
          <NavLink to={datasetPath(dataset.id, "examples")}>Examples</NavLink>
          <NavLink to={datasetPath(dataset.id, "versions")}>Versions</NavLink>
          <NavLink to={`${datasetPath(dataset.id)}/evaluators`}>Evaluators</NavLink>
        </nav>
        <CanWrite>
          <div className="project-actions">
            <Link className="button primary" to={playgroundPath({ datasetId: dataset.id })}>
              Run a prompt
            </Link>
            <button type="button" onClick={() => setEditing((open) => !open)}>
              Edit
            </button>
            <button
              type="button"
              disabled={remove.isPending}
              onClick={() => {
                if (window.confirm(`Delete the dataset “${dataset.name}” with its experiments?`)) {
                  remove.mutate();
                }
              }}
            >
              Delete
            </button>
          </div>
        </CanWrite>
      </div>
      <dl className="dataset-figures" data-testid="dataset-figures">
        <dt>Examples</dt>
        <dd data-testid="dataset-example-count">{formatCount(dataset.exampleCount)}</dd>
        <dt>Latest version</dt>
        <dd>{dataset.latestVersion ? formatTime(dataset.latestVersion.createdAt) : "–"}</dd>
        <dt>Created</dt>
        <dd>{formatTime(dataset.createdAt)}</dd>
        {dataset.labels.length ? (
          <>
            <dt>Labels</dt>
            <dd>
              {dataset.labels.map((label) => (
                <span key={label.id} className="chip" style={{ borderColor: label.color }}>
                  {label.name}
                </span>
              ))}
            </dd>
          </>
        ) : null}
      </dl>
      {dataset.description ? <p className="dataset-description">{dataset.description}</p> : null}
      {editing ? (
        <EditDatasetForm
          key={`${dataset.name}|${dataset.description ?? ""}`}
          dataset={dataset}
          onDone={() => setEditing(false)}
        />
      ) : null}
      {remove.error ? <ErrorState error={remove.error} /> : null}
      <Outlet />
    </div>
  );
}
