// "Add to dataset": selected spans become examples of a dataset (Phoenix's addSpansToDataset),
// each taking its input, output and metadata from its span and keeping a link to it. The dialog
// finds an existing dataset by a part of its name, or names a new one (created first, then
// filled); it says where the examples went, with a link, or what went wrong, inline.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { Link } from "react-router";

import { request } from "../../api/graphql";
import { useGraphQL } from "../../api/hooks";
import { graphql } from "../../gql";
import "./spansToDataset.css";

const DatasetsByNameQuery = graphql(`
  query DatasetsByName($filter: DatasetFilter, $first: Int) {
    datasets(filter: $filter, first: $first) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

const CreateDatasetMutation = graphql(`
  mutation CreateDatasetForSpans($input: CreateDatasetInput!) {
    createDataset(input: $input) {
      dataset {
        id
        name
      }
    }
  }
`);

const AddSpansToDatasetMutation = graphql(`
  mutation AddSpansToDataset($input: AddSpansToDatasetInput!) {
    addSpansToDataset(input: $input) {
      dataset {
        id
        name
      }
    }
  }
`);

/** Datasets shown as matches of the search at a time. */
const MATCHES = 8;

interface Target {
  /** An existing dataset's id, or null to create one named `name`. */
  id: string | null;
  name: string;
}

interface Added {
  id: string;
  name: string;
  count: number;
}

/** `/datasets/<id>/examples`: where the added examples are listed. */
export function datasetExamplesPath(datasetId: string): string {
  return `/datasets/${encodeURIComponent(datasetId)}/examples`;
}

async function addSpans(target: Target, spanIds: string[]): Promise<Added> {
  let datasetId = target.id;
  if (datasetId === null) {
    const created = await request(CreateDatasetMutation, { input: { name: target.name } });
    datasetId = created.createDataset.dataset.id;
  }
  const added = await request(AddSpansToDatasetMutation, {
    input: { datasetId, spanIds },
  });
  const { dataset } = added.addSpansToDataset;
  return { id: dataset.id, name: dataset.name, count: spanIds.length };
}

function DatasetPicker({
  target,
  onChange,
}: {
  target: Target | null;
  onChange: (target: Target | null) => void;
}) {
  const [search, setSearch] = useState("");
  const [newName, setNewName] = useState("");
  const inputId = useId();
  const term = search.trim();
  const { data, error, isPending } = useGraphQL(
    DatasetsByNameQuery,
    { filter: term ? { col: "name", value: term } : null, first: MATCHES },
    { keepPrevious: true },
  );
  const matches = data?.datasets.edges.map(({ node }) => node) ?? [];
  return (
    <div className="spans-to-dataset-picker">
      <label className="spans-to-dataset-field" htmlFor={inputId}>
        An existing dataset
        <input
          id={inputId}
          type="search"
          placeholder="Search by name"
          data-testid="dataset-search"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
      </label>
      <ul className="spans-to-dataset-matches" data-testid="dataset-matches">
        {isPending ? <li className="muted">Looking…</li> : null}
        {error ? <li className="spans-to-dataset-problem">{error.message}</li> : null}
        {!isPending && !error && matches.length === 0 ? (
          <li className="muted">{term ? `No dataset named like “${term}”` : "No datasets yet"}</li>
        ) : null}
        {matches.map((dataset) => (
          <li key={dataset.id}>
            <label>
              <input
                type="radio"
                name="dataset"
                checked={target?.id === dataset.id}
                onChange={() => onChange({ id: dataset.id, name: dataset.name })}
              />{" "}
              {dataset.name}
            </label>
          </li>
        ))}
      </ul>
      <label className="spans-to-dataset-field">
        Or a new dataset
        <input
          type="text"
          placeholder="New dataset name"
          data-testid="new-dataset-name"
          value={newName}
          onChange={(event) => {
            setNewName(event.target.value);
            const name = event.target.value.trim();
            onChange(name ? { id: null, name } : null);
          }}
          onFocus={() => {
            const name = newName.trim();
            if (name) onChange({ id: null, name });
          }}
        />
      </label>
    </div>
  );
}

function AddToDatasetDialog({
  spanIds,
  onClose,
  onAdded,
}: {
  spanIds: string[];
  onClose: () => void;
  onAdded?: () => void;
}) {
  const [target, setTarget] = useState<Target | null>(null);
  const queryClient = useQueryClient();
  const dialog = useRef<HTMLDivElement>(null);
  const add = useMutation({
    mutationFn: (chosen: Target) => addSpans(chosen, spanIds),
    onSuccess: () => {
      void queryClient.invalidateQueries();
      onAdded?.();
    },
  });
  useEffect(() => {
    const close = (event: KeyboardEvent) => {
      if (event.key === "Escape") onClose();
    };
    window.addEventListener("keydown", close);
    dialog.current?.focus();
    return () => window.removeEventListener("keydown", close);
  }, [onClose]);
  const plural = spanIds.length === 1 ? "span" : "spans";
  return (
    <div className="spans-to-dataset-backdrop">
      <div
        ref={dialog}
        className="panel spans-to-dataset-dialog"
        role="dialog"
        aria-modal="true"
        aria-label="Add to dataset"
        data-testid="add-to-dataset-dialog"
        tabIndex={-1}
      >
        <h2>
          Add {spanIds.length} {plural} to a dataset
        </h2>
        {add.isSuccess ? (
          <p className="spans-to-dataset-done" data-testid="add-to-dataset-done">
            Added {add.data.count} {add.data.count === 1 ? "example" : "examples"} to{" "}
            <Link to={datasetExamplesPath(add.data.id)} data-testid="added-dataset-link">
              {add.data.name}
            </Link>
            .
          </p>
        ) : (
          <>
            <p className="muted">
              Each span becomes an example: its input, output and metadata, linked to the span.
            </p>
            <DatasetPicker target={target} onChange={setTarget} />
          </>
        )}
        {add.error ? (
          <p className="spans-to-dataset-problem" role="alert" data-testid="add-to-dataset-error">
            {add.error.message}
          </p>
        ) : null}
        <div className="spans-to-dataset-actions">
          <button type="button" onClick={onClose}>
            {add.isSuccess ? "Close" : "Cancel"}
          </button>
          {add.isSuccess ? null : (
            <button
              type="button"
              className="spans-to-dataset-submit"
              data-testid="add-to-dataset-submit"
              disabled={!target || add.isPending}
              onClick={() => target && add.mutate(target)}
            >
              {add.isPending
                ? "Adding…"
                : target?.id === null
                  ? `Create “${target.name}” and add`
                  : "Add"}
            </button>
          )}
        </div>
      </div>
    </div>
  );
}

/** The "Add to dataset" button and its dialog, for the spans with these GlobalIDs. */
export function AddToDatasetButton({
  spanIds,
  onAdded,
}: {
  spanIds: string[];
  /** Called once the examples are written (the table clears its selection). */
  onAdded?: () => void;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        data-testid="add-to-dataset"
        disabled={spanIds.length === 0}
        onClick={() => setOpen(true)}
      >
        Add to dataset{spanIds.length > 1 ? ` (${spanIds.length})` : ""}
      </button>
      {open ? (
        <AddToDatasetDialog spanIds={spanIds} onClose={() => setOpen(false)} onAdded={onAdded} />
      ) : null}
    </>
  );
}
