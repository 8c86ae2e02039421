// `/settings/api-keys`: the API keys the viewer may hold or hand out. Everyone signed in has
// their own keys (they act as the user); members and admins make project ingest keys (they can
// only send spans to one project: what an OTLP collector should hold); admins make system keys
// (they act as the system, with an admin's rights). A new key is shown once, with a copy button
// and a warning; a key is revoked after a confirmation. Expiry is optional.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import type { FormEvent } from "react";

import { API_KEYS_KEY, createApiKey, revokeApiKey, useApiKeys } from "../api/apiKeys";
import type { ApiKey, ApiKeyKind, CreatedApiKey, NewApiKey } from "../api/apiKeys";
import { useGraphQL } from "../api/hooks";
import { OneTimeSecret } from "../components/auth/OneTimeSecret";
import { RequirePermission, useCan } from "../components/auth/viewer";
import { ErrorState, Loading } from "../components/States";
import { graphql } from "../gql";
import { formatDay, formatTime } from "../lib/format";
import "../components/auth/auth.css";
import "../components/datasets/datasets.css";

const ProjectNamesQuery = graphql(`
  query ProjectNames {
    projects(first: 1000) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

interface KindText {
  title: string;
  /** The name of the form that makes one. */
  newKey: string;
  explanation: string;
  warning: string;
}

const KINDS: Record<ApiKeyKind, KindText> = {
  user: {
    title: "Your keys",
    newKey: "New key of yours",
    explanation:
      "A key of yours acts as you, with your role: for scripts and clients " +
      "(Authorization: Bearer <key>).",
    warning: "This key acts as you.",
  },
  ingest: {
    title: "Project ingest keys",
    newKey: "New ingest key",
    explanation:
      "An ingest key can only send spans, and only to its project: give it to an OTLP " +
      "collector or an instrumented service.",
    warning: "This key sends spans to its project.",
  },
  system: {
    title: "System keys",
    newKey: "New system key",
    explanation:
      "A system key acts as the system, with an admin's rights, and belongs to no user: " +
      "for deployments and automation.",
    warning: "This key has an admin's rights.",
  },
};

/** The end of the day `date` (YYYY-MM-DD, local time) as an ISO timestamp; null without one. */
export function expiryOf(date: string): string | null {
  if (!date) return null;
  return new Date(`${date}T23:59:59`).toISOString();
}

function today(): string {
  const now = new Date();
  const month = String(now.getMonth() + 1).padStart(2, "0");
  const day = String(now.getDate()).padStart(2, "0");
  return `${now.getFullYear()}-${month}-${day}`;
}

function ProjectField({ value, onChange }: { value: string; onChange: (name: string) => void }) {
  const listId = useId();
  const projects = useGraphQL(ProjectNamesQuery, {});
  return (
    <label className="field">
      Project
      <input
        type="text"
        name="project_name"
        list={listId}
        value={value}
        required
        placeholder="a project's name"
        onChange={(event) => onChange(event.target.value)}
      />
      <datalist id={listId}>
        {projects.data?.projects.edges.map(({ node }) => (
          <option key={node.id} value={node.name} />
        ))}
      </datalist>
    </label>
  );
}

function NewKeyForm({
  kind,
  onCreated,
}: {
  kind: ApiKeyKind;
  onCreated: (key: CreatedApiKey) => void;
}) {
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [expiry, setExpiry] = useState("");
  const [project, setProject] = useState("");
  const create = useMutation({
    mutationFn: (key: NewApiKey) => createApiKey(kind, key),
    onSuccess: async (created) => {
      setName("");
      setDescription("");
      setExpiry("");
      setProject("");
      onCreated(created);
      await queryClient.invalidateQueries({ queryKey: [API_KEYS_KEY, kind] });
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({
      name: name.trim(),
      description: description.trim() || null,
      expires_at: expiryOf(expiry),
      ...(kind === "ingest" ? { project_name: project.trim() } : {}),
    });
  }

  const ready = name.trim() && (kind !== "ingest" || project.trim());
  return (
    <form className="settings-form" onSubmit={submit} aria-label={KINDS[kind].newKey}>
      <div className="settings-fields">
        <label className="field">
          Name
          <input
            type="text"
            name="name"
            value={name}
            required
            onChange={(event) => setName(event.target.value)}
          />
        </label>
        {kind === "ingest" ? <ProjectField value={project} onChange={setProject} /> : null}
        <label className="field">
          Description (optional)
          <input
            type="text"
            name="description"
            value={description}
            onChange={(event) => setDescription(event.target.value)}
          />
        </label>
        <label className="field">
          Expires (optional)
          <input
            type="date"
            name="expires"
            min={today()}
            value={expiry}
            onChange={(event) => setExpiry(event.target.value)}
          />
        </label>
      </div>
      {create.error ? (
        <p className="form-problem" role="alert">
          {create.error.message}
        </p>
      ) : null}
      <button type="submit" className="primary" disabled={create.isPending || !ready}>
        {create.isPending ? "Creating…" : "Create key"}
      </button>
    </form>
  );
}

function KeyRow({ kind, apiKey }: { kind: ApiKeyKind; apiKey: ApiKey }) {
  const queryClient = useQueryClient();
  const revoke = useMutation({
    mutationFn: () => revokeApiKey(kind, apiKey.id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [API_KEYS_KEY, kind] }),
  });
  return (
    <tr data-testid="api-key-row" aria-label={apiKey.name}>
      <td>{apiKey.name}</td>
      {kind === "ingest" ? <td>{apiKey.project_name ?? ""}</td> : null}
      <td className="preview">{apiKey.description ?? ""}</td>
      {kind === "ingest" ? <td>{apiKey.user?.username ?? ""}</td> : null}
      <td>{formatTime(apiKey.created_at)}</td>
      <td>{apiKey.expires_at ? formatDay(apiKey.expires_at) : "never"}</td>
      <td className="row-actions">
        <button
          type="button"
          disabled={revoke.isPending}
          aria-label={`Revoke ${apiKey.name}`}
          onClick={() => {
            if (
              window.confirm(`Revoke the key “${apiKey.name}”? Whatever uses it is refused at once.`)
            ) {
              revoke.mutate();
            }
          }}
        >
          Revoke
        </button>
        {revoke.error ? (
          <p className="form-problem" role="alert">
            {revoke.error.message}
          </p>
        ) : null}
      </td>
    </tr>
  );
}

function KeySection({ kind }: { kind: ApiKeyKind }) {
  const keys = useApiKeys(kind);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const text = KINDS[kind];
  const headingId = useId();
  let list;
  if (keys.isPending) list = <Loading label="Loading keys…" />;
  else if (keys.error) list = <ErrorState error={keys.error} />;
  else if (keys.data.length === 0) list = <p className="muted">No keys yet.</p>;
  else {
    list = (
      <table className="data" data-testid={`${kind}-keys`}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            {kind === "ingest" ? <th scope="col">Project</th> : null}
            <th scope="col">Description</th>
            {kind === "ingest" ? <th scope="col">Made by</th> : null}
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.data.map((apiKey) => (
            <KeyRow key={apiKey.id} kind={kind} apiKey={apiKey} />
          ))}
        </tbody>
      </table>
    );
  }
  return (
    <section className="panel settings-section" aria-labelledby={headingId}>
      <h2 id={headingId}>{text.title}</h2>
      <p className="muted">{text.explanation}</p>
      {created ? (
        <OneTimeSecret
          title={`New key “${created.name}”`}
          secret={created.key}
          warning={`Copy the key now: it is shown only this once. ${text.warning}`}
          onDone={() => setCreated(null)}
        />
      ) : null}
      {list}
      <NewKeyForm kind={kind} onCreated={setCreated} />
    </section>
  );
}

export default function ApiKeysPage() {
  const canWrite = useCan("write");
  const isAdmin = useCan("admin");
  return (
    <div className="settings-page">
      <div className="page-toolbar">
        <h1>API keys</h1>
      </div>
      <RequirePermission permission="account" what="API keys">
        <KeySection kind="user" />
        {canWrite ? <KeySection kind="ingest" /> : null}
        {isAdmin ? <KeySection kind="system" /> : null}
      </RequirePermission>
    </div>
  );
}
