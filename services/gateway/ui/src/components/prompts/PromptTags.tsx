// A prompt's tags (REST writes them; GraphQL reads them back): each tag names one version, and
// setting a tag on another version moves it there (`POST /v1/prompt_versions/<id>/tags`);
// deleting is `DELETE /v1/prompt_versions/<id>/tags/<name>`. Every refusal shows the API's
// message (a name that is not an identifier, say).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";

import { restJson } from "../../api/rest";
import { useCan } from "../auth/viewer";

export interface TagRow {
  id: string;
  name: string;
  description?: string | null;
  promptVersionId: string;
}

export interface VersionChoice {
  id: string;
  label: string;
}

function tagsPath(versionId: string, name?: string): string {
  const base = `/v1/prompt_versions/${encodeURIComponent(versionId)}/tags`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

/** Point the prompt's tag `name` at `versionId` (creating or moving it). */
export function setTag(versionId: string, name: string, description?: string | null) {
  return restJson<null>("POST", tagsPath(versionId), {
    name,
    ...(description ? { description } : {}),
  });
}

function useTagWrite<Input>(write: (input: Input) => Promise<unknown>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: write,
    onSuccess: () => queryClient.invalidateQueries(),
  });
}

/** The prompt's tags: which version each names, a choice to move it, and a delete button. */
export function TagTable({ tags, versions }: { tags: TagRow[]; versions: VersionChoice[] }) {
  const move = useTagWrite((input: { tag: TagRow; versionId: string }) =>
    setTag(input.versionId, input.tag.name, input.tag.description),
  );
  const remove = useTagWrite((tag: TagRow) =>
    restJson<null>("DELETE", tagsPath(tag.promptVersionId, tag.name)),
  );
  const canWrite = useCan("write");
  if (tags.length === 0) {
    return (
      <p className="muted">
        {canWrite ? "No tags yet: add one to a version below." : "No tags yet."}
      </p>
    );
  }
  const problem = move.error ?? remove.error;
  return (
    <>
      <table className="data tag-table" data-testid="tag-table">
        <thead>
          <tr>
            <th scope="col">Tag</th>
            <th scope="col">Description</th>
            <th scope="col">Version</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tags.map((tag) => {
            const choices = versions.some((version) => version.id === tag.promptVersionId)
              ? versions
              : [{ id: tag.promptVersionId, label: "an older version" }, ...versions];
            return (
              <tr key={tag.id} data-testid="tag-row">
                <td>
                  <span className="chip tag-chip">{tag.name}</span>
                </td>
                <td className="muted">{tag.description ?? ""}</td>
                <td>
                  {canWrite ? (
                    <select
                      aria-label={`Version of tag ${tag.name}`}
                      value={tag.promptVersionId}
                      disabled={move.isPending}
                      onChange={(event) => move.mutate({ tag, versionId: event.target.value })}
                    >
                      {choices.map((version) => (
                        <option key={version.id} value={version.id}>
                          {version.label}
                        </option>
                      ))}
                    </select>
                  ) : (
                    choices.find((version) => version.id === tag.promptVersionId)?.label
                  )}
                </td>
                <td>
                  {canWrite ? (
                    <button
                      type="button"
                      disabled={remove.isPending}
                      onClick={() => remove.mutate(tag)}
                      aria-label={`Delete tag ${tag.name}`}
                    >
                      Delete
                    </button>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {problem ? (
        <p className="form-problem" role="alert">
          {problem.message}
        </p>
      ) : null}
    </>
  );
}

/** Tag one version: a new tag, or one another version has, which then moves here. */
export function AddTagForm({ versionId, label }: { versionId: string; label: string }) {
  const [name, setName] = useState("");
  const add = useTagWrite((tagName: string) => setTag(versionId, tagName));
  function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) return;
    add.mutate(name.trim(), { onSuccess: () => setName("") });
  }
  return (
    <form className="add-tag" onSubmit={submit} aria-label={`Tag ${label}`}>
      <input
        type="text"
        value={name}
        placeholder="production"
        aria-label={`New tag for ${label}`}
        onChange={(event) => setName(event.target.value)}
      />
      <button type="submit" disabled={add.isPending || !name.trim()}>
        Set tag
      </button>
      {add.error ? (
        <span className="form-problem" role="alert">
          {add.error.message}
        </span>
      ) : null}
    </form>
  );
}
