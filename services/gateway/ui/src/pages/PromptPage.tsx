// `/prompts/<id>`: a prompt's tags (each can be moved to another version or deleted) and its
// versions, newest first, each with its messages, model, invocation parameters and tools, its
// tags, a form to tag it, and a link that opens it in the playground. The prompt can be
// deleted from here. Everything is read through GraphQL and written through REST.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router";

import { useGraphQL } from "../api/hooks";
import { restJson } from "../api/rest";
import { CanWrite } from "../components/auth/viewer";
import { Pagination } from "../components/Pagination";
import { playgroundPath } from "../components/prompts/promptPaths";
import { AddTagForm, TagTable } from "../components/prompts/PromptTags";
import { VersionContentView } from "../components/prompts/TemplateView";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { graphql } from "../gql";
import { formatCount, formatTime } from "../lib/format";
import { usePager } from "../lib/pager";
import "../components/datasets/datasets.css";
import "../components/prompts/prompts.css";

const VERSIONS_PER_PAGE = 20;

const PromptDetailQuery = graphql(`
  query PromptDetail($id: ID!, $first: Int, $after: String) {
    prompt(id: $id) {
      id
      name
      description
      createdAt
      versionCount
      versionTags {
        id
        name
        description
        promptVersionId
      }
      promptVersions(first: $first, after: $after) {
        edges {
          node {
            id
            description
            templateFormat
            template
            invocationParameters
            tools
            responseFormat
            modelProvider
            modelName
            createdAt
            sequenceNumber
            isLatest
            tags {
              id
              name
            }
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

export default function PromptPage() {
  const { promptId = "" } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const pager = usePager(promptId);
  const { data, error, isPending } = useGraphQL(
    PromptDetailQuery,
    { id: promptId, first: VERSIONS_PER_PAGE, after: pager.after },
    { keepPrevious: true },
  );
  const remove = useMutation({
    mutationFn: () => restJson<null>("DELETE", `/v1/prompts/${encodeURIComponent(promptId)}`),
    onSuccess: async () => {
      await navigate("/prompts");
      await queryClient.invalidateQueries();
    },
  });

  if (isPending) return <Loading label="Loading the prompt…" />;
  if (error && !data) return <ErrorState error={error} />;
  const prompt = data.prompt;
  if (!prompt) {
    return (
      <EmptyState title="No such prompt">
        It may have been deleted. <Link to="/prompts">See every prompt</Link>.
      </EmptyState>
    );
  }
  const versions = prompt.promptVersions.edges.map((edge) => edge.node);
  const choices = versions.map((version) => ({
    id: version.id,
    label: `Version ${version.sequenceNumber}${version.isLatest ? " (latest)" : ""}`,
  }));

  return (
    <div className="prompt-page">
      <div className="project-header">
        <div className="project-title">
          <Link to="/prompts">Prompts</Link> / <h1>{prompt.name}</h1>
        </div>
        <div className="project-actions">
          <span className="muted">
            {formatCount(prompt.versionCount)} version{prompt.versionCount === 1 ? "" : "s"},
            created {formatTime(prompt.createdAt)}
          </span>
          <CanWrite>
            <button
              type="button"
              disabled={remove.isPending}
              onClick={() => {
                if (window.confirm(`Delete the prompt “${prompt.name}” with its versions?`)) {
                  remove.mutate();
                }
              }}
            >
              Delete
            </button>
          </CanWrite>
        </div>
      </div>
      {prompt.description ? <p className="dataset-description">{prompt.description}</p> : null}
      {remove.error ? <ErrorState error={remove.error} title="The prompt was not deleted" /> : null}
      <section className="panel prompt-section" aria-label="Tags">
        <h2>Tags</h2>
        <TagTable tags={prompt.versionTags} versions={choices} />
      </section>
      <section aria-label="Versions">
        <h2 className="section-title">Versions</h2>
        {versions.map((version) => {
          const label = `version ${version.sequenceNumber}`;
          return (
            <article
              key={version.id}
              className="panel version-card"
              data-testid="prompt-version"
              aria-label={`Version ${version.sequenceNumber}`}
            >
              <header className="version-header">
                <h3>Version {version.sequenceNumber}</h3>
                {version.isLatest ? <span className="chip">latest</span> : null}
                {version.tags.map((tag) => (
                  <span key={tag.id} className="chip tag-chip" data-testid="version-tag">
                    {tag.name}
                  </span>
                ))}
                <span className="muted" data-testid="version-model">
                  {version.modelProvider} / {version.modelName}
                </span>
                <span className="muted">
                  {version.templateFormat.toLowerCase()} template, {formatTime(version.createdAt)}
                </span>
                <Link
                  className="version-open"
                  to={playgroundPath({ promptVersionId: version.id })}
                >
                  Open in playground
                </Link>
              </header>
              {version.description ? <p className="muted">{version.description}</p> : null}
              <VersionContentView version={version} />
              <CanWrite>
                <AddTagForm versionId={version.id} label={label} />
              </CanWrite>
            </article>
          );
        })}
        <Pagination
          pager={pager}
          hasNextPage={prompt.promptVersions.pageInfo.hasNextPage}
          endCursor={prompt.promptVersions.pageInfo.endCursor}
        />
      </section>
    </div>
  );
}
