// `/datasets/<id>/versions`: the dataset's versions, newest first, each with what it changed and
// how many examples it holds; and the difference between two of them (`?from=<version>&to=
// <version>`, by default the one before the latest and the latest): the examples added, deleted
// and patched, with their content before and after, a page at a time.
import { Link, useParams, useSearchParams } from "react-router";

import { useGraphQL } from "../api/hooks";
import { examplePath } from "../components/datasets/datasetPaths";
import { prettyJson, rowNumber, versionLabel } from "../components/datasets/exampleText";
import { Pagination } from "../components/Pagination";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { graphql } from "../gql";
import type { DatasetExampleChangeKind } from "../gql/graphql";
import { formatCount } from "../lib/format";
import { usePager } from "../lib/pager";

const VERSIONS_PER_PAGE = 20;
const CHANGES_PER_PAGE = 20;

const DatasetVersionsQuery = graphql(`
  query DatasetVersions($id: ID!, $first: Int, $after: String) {
    dataset(id: $id) {
      id
      versions(first: $first, after: $after) {
        edges {
          node {
            id
            createdAt
            description
            exampleCount
            changes {
              created
              patched
              deleted
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

const DatasetVersionDiffQuery = graphql(`
  query DatasetVersionDiff($id: ID!, $from: ID!, $to: ID!, $first: Int, $after: String) {
    dataset(id: $id) {
      id
      versionDiff(fromVersionId: $from, toVersionId: $to) {
        fromVersion {
          id
          createdAt
          description
        }
        toVersion {
          id
          createdAt
          description
        }
        addedCount
        deletedCount
        patchedCount
        changes(first: $first, after: $after) {
          edges {
            node {
              kind
              example {
                id
                externalId
              }
              before {
                input
                output
                metadata
              }
              after {
                input
                output
                metadata
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
  }
`);

type Part = "input" | "output" | "metadata";
const PARTS: readonly Part[] = ["input", "output", "metadata"];
const KIND_LABELS: Record<DatasetExampleChangeKind, string> = {
  ADDED: "Added",
  DELETED: "Deleted",
  PATCHED: "Patched",
};

type Content = Record<Part, unknown> | null | undefined;

function ChangeParts({ before, after }: { before: Content; after: Content }) {
  const parts = PARTS.filter(
    (part) => JSON.stringify(before?.[part]) !== JSON.stringify(after?.[part]),
  );
  const same = PARTS.filter((part) => !parts.includes(part));
  return (
    <>
      {parts.map((part) => (
        <div key={part} className="diff-part">
          <h4>{part}</h4>
          <div className="diff-sides">
            <figure>
              <figcaption>Before</figcaption>
              <pre className="diff-before" aria-label={`${part} before`}>
                {before ? prettyJson(before[part]) : "—"}
              </pre>
            </figure>
            <figure>
              <figcaption>After</figcaption>
              <pre className="diff-after" aria-label={`${part} after`}>
                {after ? prettyJson(after[part]) : "—"}
              </pre>
            </figure>
          </div>
        </div>
      ))}
      {before && after && same.length ? (
        <p className="muted">Unchanged: {same.join(", ")}.</p>
      ) : null}
    </>
  );
}

function VersionDiff({ datasetId, from, to }: { datasetId: string; from: string; to: string }) {
  const pager = usePager(`${datasetId}|${from}|${to}`);
  const { data, error, isPending } = useGraphQL(
    DatasetVersionDiffQuery,
    { id: datasetId, from, to, first: CHANGES_PER_PAGE, after: pager.after },
    { keepPrevious: true },
  );
  if (isPending) return <Loading label="Comparing the versions…" />;
  if (error && !data) return <ErrorState error={error} />;
  const diff = data.dataset?.versionDiff;
  if (!diff) {
    return <EmptyState title="These are not both versions of this dataset" />;
  }
  const { edges, pageInfo } = diff.changes;
  return (
    <section className="version-diff" aria-label="Difference between versions">
      <p data-testid="diff-summary">
        From <strong>{versionLabel(diff.fromVersion)}</strong> to{" "}
        <strong>{versionLabel(diff.toVersion)}</strong>: {formatCount(diff.addedCount)} added,{" "}
        {formatCount(diff.deletedCount)} deleted, {formatCount(diff.patchedCount)} patched.
      </p>
      {edges.length === 0 && pager.pageIndex === 0 ? (
        <EmptyState title="No example differs between these versions" />
      ) : (
        <>
          {edges.map(({ node }) => (
            <article
              key={node.example.id}
              className={`panel diff-change diff-${node.kind.toLowerCase()}`}
              data-testid="diff-change"
            >
              <header>
                <span className={`chip diff-kind-${node.kind.toLowerCase()}`}>
                  {KIND_LABELS[node.kind]}
                </span>
                <Link
                  className="mono"
                  to={examplePath(
                    datasetId,
                    node.example.id,
                    `?version=${encodeURIComponent(node.after ? diff.toVersion.id : diff.fromVersion.id)}`,
                  )}
                >
                  {node.example.externalId ?? `#${rowNumber(node.example.id)}`}
                </Link>
              </header>
              <ChangeParts before={node.before} after={node.after} />
            </article>
          ))}
          <Pagination
            pager={pager}
            hasNextPage={pageInfo.hasNextPage}
            endCursor={pageInfo.endCursor}
          />
        </>
      )}
    </section>
  );
}

export default function DatasetVersionsPage() {
  const { datasetId = "" } = useParams();
  const [searchParams, setSearchParams] = useSearchParams();
  const pager = usePager(datasetId);
  const { data, error, isPending } = useGraphQL(
    DatasetVersionsQuery,
    { id: datasetId, first: VERSIONS_PER_PAGE, after: pager.after },
    { keepPrevious: true },
  );

  if (isPending) return <Loading label="Loading versions…" />;
  if (error && !data) return <ErrorState error={error} />;
  if (!data.dataset) return null; // the dataset's page says it is missing
  const { edges, pageInfo } = data.dataset.versions;
  if (edges.length === 0 && pager.pageIndex === 0) {
    return <EmptyState title="This dataset has no versions yet" />;
  }
  const versions = edges.map((edge) => edge.node);
  // The default comparison: the latest version against the one before it.
  const from = searchParams.get("from") ?? (pager.pageIndex === 0 ? versions[1]?.id : undefined);
  const to = searchParams.get("to") ?? (pager.pageIndex === 0 ? versions[0]?.id : undefined);
  const choose = (key: "from" | "to", id: string) =>
    setSearchParams(
      (previous) => {
        const params = new URLSearchParams(previous);
        if (from) params.set("from", from);
        if (to) params.set("to", to);
        params.set(key, id);
        return params;
      },
      { replace: true },
    );

  return (
    <div className="versions-page">
      <div className="panel">
        <table className="data" data-testid="versions-table">
          <thead>
            <tr>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Version</th>
              <th scope="col">Description</th>
              <th scope="col">Changes</th>
              <th scope="col" className="numeric">
                Examples
              </th>
            </tr>
          </thead>
          <tbody>
            {versions.map((version) => {
              const label = versionLabel({ id: version.id, createdAt: version.createdAt });
              return (
                <tr key={version.id} data-testid="version-row">
                  <td>
                    <input
                      type="radio"
                      name="from"
                      aria-label={`Compare from ${label}`}
                      checked={version.id === from}
                      onChange={() => choose("from", version.id)}
                    />
                  </td>
                  <td>
                    <input
                      type="radio"
                      name="to"
                      aria-label={`Compare to ${label}`}
                      checked={version.id === to}
                      onChange={() => choose("to", version.id)}
                    />
                  </td>
                  <td>
                    <Link
                      to={`../examples?version=${encodeURIComponent(version.id)}`}
                      relative="path"
                    >
                      {label}
                    </Link>
                  </td>
                  <td className="preview">{version.description ?? ""}</td>
                  <td className="version-changes">
                    <span className="diff-added-text">+{version.changes.created}</span>{" "}
                    <span className="diff-patched-text">~{version.changes.patched}</span>{" "}
                    <span className="diff-deleted-text">−{version.changes.deleted}</span>
                  </td>
                  <td className="numeric">{formatCount(version.exampleCount)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <Pagination pager={pager} hasNextPage={pageInfo.hasNextPage} endCursor={pageInfo.endCursor} />
      {from && to ? (
        <VersionDiff datasetId={datasetId} from={from} to={to} />
      ) : (
        <p className="muted">Choose two versions to compare.</p>
      )}
    </div>
  );
}
