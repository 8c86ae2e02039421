// `/datasets/<id>/examples/<example id>`: one example beside the list, as of the version the
// address names (the latest by default): its input, output and metadata, its splits, the span it
// was made from (a link to that span in its trace), and which version last changed it. In the
// latest version it can be edited (each JSON editor is checked as it is typed, and only a JSON
// object can be saved) or deleted; either makes a new version of the dataset.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";

import { request } from "../api/graphql";
import { useGraphQL } from "../api/hooks";
import { useCan } from "../components/auth/viewer";
import { datasetPath, examplePath } from "../components/datasets/datasetPaths";
import { parseJsonObject, prettyJson, rowNumber } from "../components/datasets/exampleText";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { graphql } from "../gql";
import { formatTime, shortId } from "../lib/format";

const DatasetExampleQuery = graphql(`
  query DatasetExample($id: ID!, $example: ID!, $version: ID) {
    dataset(id: $id) {
      id
      latestVersion {
        id
      }
      example(id: $example, datasetVersionId: $version) {
        id
        externalId
        createdAt
        revision {
          input
          output
          metadata
          revisionKind
          datasetVersionId
          createdAt
        }
        datasetSplits {
          id
          name
          color
        }
        span {
          spanId
          traceId
          name
        }
      }
    }
  }
`);

const PatchExamplesMutation = graphql(`
  mutation PatchDatasetExamples($input: PatchDatasetExamplesInput!) {
    patchDatasetExamples(input: $input) {
      dataset {
        id
        latestVersion {
          id
        }
      }
    }
  }
`);

const DeleteExamplesMutation = graphql(`
  mutation DeleteDatasetExamples($input: DeleteDatasetExamplesInput!) {
    deleteDatasetExamples(input: $input) {
      dataset {
        id
      }
    }
  }
`);

type Part = "input" | "output" | "metadata";
const PARTS: readonly Part[] = ["input", "output", "metadata"];
const PART_LABELS: Record<Part, string> = { input: "Input", output: "Output", metadata: "Metadata" };

type Content = Record<Part, unknown>;

function JsonBlock({ label, value }: { label: string; value: unknown }) {
  return (
    <section className="example-part">
      <h3>{label}</h3>
      <pre data-testid={`example-${label.toLowerCase()}`}>{prettyJson(value)}</pre>
    </section>
  );
}

function ExampleEditor({
  exampleId,
  content,
  onSaved,
  onCancel,
}: {
  exampleId: string;
  content: Content;
  onSaved: () => void;
  onCancel: () => void;
}) {
  const [texts, setTexts] = useState<Record<Part, string>>({
    input: prettyJson(content.input),
    output: prettyJson(content.output),
    metadata: prettyJson(content.metadata),
  });
  const [description, setDescription] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const parsed = Object.fromEntries(
    PARTS.map((part) => [part, parseJsonObject(texts[part])]),
  ) as Record<Part, ReturnType<typeof parseJsonObject>>;
  const valid = PARTS.every((part) => "value" in parsed[part]);
  const save = useMutation({
    mutationFn: (patch: Partial<Content>) =>
      request(PatchExamplesMutation, {
        input: {
          patches: [{ exampleId, ...patch }],
          versionDescription: description.trim() || null,
        },
      }),
    onSuccess: onSaved,
    onError: (error: Error) => setProblem(error.message),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const patch: Partial<Content> = {};
    for (const part of PARTS) {
      const result = parsed[part];
      if (!("value" in result)) return;
      if (JSON.stringify(result.value) !== JSON.stringify(content[part])) {
        patch[part] = result.value;
      }
    }
    if (Object.keys(patch).length === 0) {
      setProblem("Nothing changed.");
      return;
    }
    setProblem(null);
    save.mutate(patch);
  }

  return (
    <form className="example-editor" onSubmit={submit} aria-label="Edit example">
      {PARTS.map((part) => {
        const result = parsed[part];
        const problemId = `${part}-problem`;
        return (
          <label key={part} className="field">
            {PART_LABELS[part]} (JSON)
            <textarea
              rows={6}
              spellCheck={false}
              value={texts[part]}
              aria-invalid={"problem" in result}
              aria-describedby={"problem" in result ? problemId : undefined}
              onChange={(event) =>
                setTexts((current) => ({ ...current, [part]: event.target.value }))
              }
            />
            {"problem" in result ? (
              <span className="field-problem" id={problemId}>
                {result.problem}
              </span>
            ) : null}
          </label>
        );
      })}
      <label className="field">
        Version description
        <input
          type="text"
          value={description}
          placeholder="optional: what this change is"
          onChange={(event) => setDescription(event.target.value)}
        />
      </label>
      {problem ? (
        <p className="form-problem" role="alert">
          {problem}
        </p>
      ) : null}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={!valid || save.isPending}>
          {save.isPending ? "Saving…" : "Save as a new version"}
        </button>
      </div>
    </form>
  );
}

export default function DatasetExamplePanel() {
  const { datasetId = "", exampleId = "" } = useParams();
  const [searchParams] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const canWrite = useCan("write");
  const [editing, setEditing] = useState(false);
  const version = searchParams.get("version") ?? "";
  const { data, error, isPending } = useGraphQL(DatasetExampleQuery, {
    id: datasetId,
    example: exampleId,
    version: version || null,
  });
  const remove = useMutation({
    mutationFn: () => request(DeleteExamplesMutation, { input: { exampleIds: [exampleId] } }),
    onSuccess: async () => {
      await navigate(`${datasetPath(datasetId, "examples")}${latestSearch(searchParams)}`);
      await queryClient.invalidateQueries();
    },
  });

  const close = `${datasetPath(datasetId, "examples")}${searchParams.size ? `?${searchParams}` : ""}`;
  let body;
  if (isPending) body = <Loading label="Loading the example…" />;
  else if (error) body = <ErrorState error={error} />;
  else if (!data.dataset?.example?.revision) {
    body = (
      <EmptyState title="No such example in this version">
        It may have been added in a later version, or belong to another dataset.
      </EmptyState>
    );
  } else {
    const example = data.dataset.example;
    const revision = data.dataset.example.revision;
    const latest = data.dataset.latestVersion?.id;
    const atLatest = !version || version === latest;
    const deleted = revision.revisionKind === "DELETE";
    body = (
      <>
        <dl className="example-facts">
          <dt>Example</dt>
          <dd className="mono">{example.externalId ?? `#${rowNumber(example.id)}`}</dd>
          <dt>Last changed</dt>
          <dd>
            {formatTime(revision.createdAt)} ({revision.revisionKind.toLowerCase()})
          </dd>
          <dt>Splits</dt>
          <dd>
            {example.datasetSplits.length
              ? example.datasetSplits.map((split) => (
                  <span key={split.id} className="chip" style={{ borderColor: split.color }}>
                    {split.name}
                  </span>
                ))
              : "–"}
          </dd>
          <dt>Source span</dt>
          <dd>
            {example.span ? (
              <Link
                to={`/traces/${encodeURIComponent(example.span.traceId)}?span=${encodeURIComponent(example.span.spanId)}`}
              >
                {example.span.name} ({shortId(example.span.spanId, 8)})
              </Link>
            ) : (
              "–"
            )}
          </dd>
        </dl>
        {deleted ? (
          <p className="banner-note" role="status">
            This example was deleted in this version.
          </p>
        ) : editing ? (
          <ExampleEditor
            exampleId={example.id}
            content={revision}
            onCancel={() => setEditing(false)}
            onSaved={() => {
              setEditing(false);
              void queryClient.invalidateQueries();
              if (version) {
                void navigate(examplePath(datasetId, example.id, latestSearch(searchParams)), {
                  replace: true,
                });
              }
            }}
          />
        ) : (
          <>
            {PARTS.map((part) => (
              <JsonBlock key={part} label={PART_LABELS[part]} value={revision[part]} />
            ))}
            {!canWrite ? null : atLatest ? (
              <div className="dialog-actions">
                <button type="button" onClick={() => setEditing(true)}>
                  Edit
                </button>
                <button
                  type="button"
                  disabled={remove.isPending}
                  onClick={() => {
                    if (window.confirm("Delete this example? The dataset gets a new version.")) {
                      remove.mutate();
                    }
                  }}
                >
                  Delete
                </button>
              </div>
            ) : (
              <p className="muted">
                This is an earlier version.{" "}
                <Link to={examplePath(datasetId, example.id, latestSearch(searchParams))}>
                  Open the latest version
                </Link>{" "}
                to edit the example.
              </p>
            )}
          </>
        )}
        {remove.error ? <ErrorState error={remove.error} /> : null}
      </>
    );
  }

  return (
    <aside className="panel example-panel" aria-label="Example" data-testid="example-panel">
      <div className="example-panel-header">
        <h2>Example</h2>
        <Link to={close} aria-label="Close the example">
          ✕
        </Link>
      </div>
      {body}
    </aside>
  );
}

/** The address's query without its version (`?split=…`, or ""): the latest version's view of
 * the same list. */
function latestSearch(searchParams: URLSearchParams): string {
  const params = new URLSearchParams(searchParams);
  params.delete("version");
  return params.size ? `?${params}` : "";
}
