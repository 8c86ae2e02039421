// "Save as a version": the variant becomes a new version of a prompt (`POST /v1/prompts`, which
// creates the prompt when the name is new), optionally tagged (`POST .../tags`, which moves the
// tag if another version has it). The saved version is then read back through GraphQL to link
// to its prompt. The API's refusals (a name that is not an identifier, parameters the provider
// does not take) are shown in its words.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import type { FormEvent } from "react";
import { Link } from "react-router";

import { request } from "../../api/graphql";
import { useGraphQL } from "../../api/hooks";
import { restJson } from "../../api/rest";
import { graphql } from "../../gql";
import { promptPath } from "../prompts/promptPaths";
import { setTag } from "../prompts/PromptTags";
import { promptVersionBody } from "./variants";
import type { Variant } from "./variants";

const PromptNamesQuery = graphql(`
  query PromptNames {
    prompts(first: 200) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

const SavedVersionQuery = graphql(`
  query SavedVersion($id: ID!) {
    promptVersion(id: $id) {
      id
      sequenceNumber
      prompt {
        id
        name
      }
    }
  }
`);

interface Saved {
  promptId: string;
  promptName: string;
  sequenceNumber: number;
  tag: string | null;
  /** The version was saved, but the tag was refused: why. */
  tagError: string | null;
}

export function SaveVersionDialog({ variant, onClose }: { variant: Variant; onClose: () => void }) {
  const queryClient = useQueryClient();
  const listId = useId();
  const [name, setName] = useState(variant.promptName ?? "");
  const [promptDescription, setPromptDescription] = useState("");
  const [description, setDescription] = useState("");
  const [tag, setTagName] = useState("");
  const names = useGraphQL(PromptNamesQuery, {});
  const known = (names.data?.prompts.edges ?? []).map((edge) => edge.node.name);
  const isNew = name.trim() !== "" && !known.includes(name.trim());
  const save = useMutation({
    mutationFn: async (): Promise<Saved> => {
      const version = promptVersionBody(variant, description);
      const created = await restJson<{ data: { id: string } }>("POST", "/v1/prompts", {
        prompt: {
          name: name.trim(),
          ...(isNew && promptDescription.trim() ? { description: promptDescription.trim() } : {}),
        },
        version,
      });
      const versionId = created.data.id;
      let tagError: string | null = null;
      if (tag.trim()) {
        try {
          await setTag(versionId, tag.trim());
        } catch (error) {
          tagError = (error as Error).message;
        }
      }
      const saved = await request(SavedVersionQuery, { id: versionId });
      const found = saved.promptVersion;
      if (!found?.prompt) throw new Error("The version was saved, then its prompt was deleted.");
      return {
        promptId: found.prompt.id,
        promptName: found.prompt.name,
        sequenceNumber: found.sequenceNumber,
        tag: tagError ? null : tag.trim() || null,
        tagError,
      };
    },
    onSuccess: () => queryClient.invalidateQueries(),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }
  return (
    <div className="dialog-backdrop">
      <form
        className="panel dialog save-dialog"
        role="dialog"
        aria-label="Save as a prompt version"
        onSubmit={submit}
      >
        <h2>Save as a prompt version</h2>
        {save.data ? (
          <>
            <p data-testid="saved-version">
              Saved as version {save.data.sequenceNumber} of{" "}
              <Link to={promptPath(save.data.promptId)}>{save.data.promptName}</Link>
              {save.data.tag ? `, tagged ${save.data.tag}` : ""}.
            </p>
            {save.data.tagError ? (
              <p className="form-problem" role="alert">
                The tag was not set: {save.data.tagError}
              </p>
            ) : null}
            <div className="dialog-actions">
              <button type="button" className="primary" onClick={onClose}>
                Close
              </button>
            </div>
          </>
        ) : (
          <>
            <label className="field">
              Prompt name
              <input
                type="text"
                list={listId}
                value={name}
                placeholder="lower-case-name"
                onChange={(event) => setName(event.target.value)}
              />
              <datalist id={listId}>
                {known.map((known) => (
                  <option key={known} value={known} />
                ))}
              </datalist>
              <span className="muted">
                {name.trim() === ""
                  ? "A new name creates a prompt; an existing one gets a new version."
                  : isNew
                    ? "A new prompt."
                    : "A new version of this prompt."}
              </span>
            </label>
            {isNew ? (
              <label className="field">
                Prompt description
                <input
                  type="text"
                  value={promptDescription}
                  onChange={(event) => setPromptDescription(event.target.value)}
                />
              </label>
            ) : null}
            <label className="field">
              Version description
              <input
                type="text"
                value={description}
                onChange={(event) => setDescription(event.target.value)}
              />
            </label>
            <label className="field">
              Tag (optional)
              <input
                type="text"
                value={tag}
                placeholder="production"
                onChange={(event) => setTagName(event.target.value)}
              />
            </label>
            {save.error ? (
              <p className="form-problem" role="alert">
                {save.error.message}
              </p>
            ) : null}
            <div className="dialog-actions">
              <button type="button" onClick={onClose}>
                Cancel
              </button>
              <button
                type="submit"
                className="primary"
                disabled={save.isPending || name.trim() === ""}
              >
                Save
              </button>
            </div>
          </>
        )}
      </form>
    </div>
  );
}
