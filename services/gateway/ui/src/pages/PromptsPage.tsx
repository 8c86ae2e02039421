// `/prompts`: every prompt, newest first, with its description, the model of its latest
// version, its tags, how many versions it has and when its latest version was made; a name
// opens the prompt. Prompts are made in the playground ("Save as a version") or over REST.
import { Link } from "react-router";

import { useGraphQL } from "../api/hooks";
import { CanWrite } from "../components/auth/viewer";
import { Pagination } from "../components/Pagination";
import { playgroundPath, promptPath } from "../components/prompts/promptPaths";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { graphql } from "../gql";
import { formatCount, formatTime } from "../lib/format";
import { usePager } from "../lib/pager";
import "../components/datasets/datasets.css";
import "../components/prompts/prompts.css";

const ROWS_PER_PAGE = 50;

const PromptListQuery = graphql(`
  query PromptList($first: Int, $after: String) {
    prompts(first: $first, after: $after) {
      edges {
        node {
          id
          name
          description
          updatedAt
          versionCount
          latestVersion {
            id
            modelProvider
            modelName
            createdAt
          }
          versionTags {
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
`);

export default function PromptsPage() {
  const pager = usePager("prompts");
  const { data, error, isPending } = useGraphQL(
    PromptListQuery,
    { first: ROWS_PER_PAGE, after: pager.after },
    { keepPrevious: true },
  );

  let body;
  if (isPending) body = <Loading label="Loading prompts…" />;
  else if (error && !data) body = <ErrorState error={error} />;
  else if (data.prompts.edges.length === 0 && pager.pageIndex === 0) {
    body = (
      <EmptyState title="No prompts yet">
        Write one in the <Link to={playgroundPath()}>playground</Link> and save it as a version,
        or create one with <code>client.prompts.create(...)</code> from{" "}
        <code>arize-phoenix-client</code>.
      </EmptyState>
    );
  } else {
    const { edges, pageInfo } = data.prompts;
    body = (
      <>
        <div className="panel">
          <table className="data" data-testid="prompts-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Description</th>
                <th scope="col">Model</th>
                <th scope="col">Tags</th>
                <th scope="col" className="numeric">
                  Versions
                </th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {edges.map(({ node }) => (
                <tr key={node.id} data-testid="prompt-row">
                  <td>
                    <Link to={promptPath(node.id)}>{node.name}</Link>
                  </td>
                  <td className="preview">{node.description ?? ""}</td>
                  <td data-testid="prompt-model">
                    {node.latestVersion
                      ? `${node.latestVersion.modelProvider} / ${node.latestVersion.modelName}`
                      : "–"}
                  </td>
                  <td>
                    {node.versionTags.map((tag) => (
                      <span key={tag.id} className="chip tag-chip">
                        {tag.name}
                      </span>
                    ))}
                  </td>
                  <td className="numeric">{formatCount(node.versionCount)}</td>
                  <td>{formatTime(node.latestVersion?.createdAt ?? node.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <Pagination
          pager={pager}
          hasNextPage={pageInfo.hasNextPage}
          endCursor={pageInfo.endCursor}
        />
      </>
    );
  }

  return (
    <div className="prompts-page">
      <div className="page-toolbar">
        <h1>Prompts</h1>
        <CanWrite>
          <Link className="button primary" to={playgroundPath()}>
            New in playground
          </Link>
        </CanWrite>
      </div>
      {body}
    </div>
  );
}
