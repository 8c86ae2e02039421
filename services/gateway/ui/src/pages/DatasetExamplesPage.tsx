// `/datasets/<id>/examples`: the examples of one version (the latest unless `?version=` names
// another), optionally of one split (`?split=`) and searched (`?q=`: input, output or metadata
// containing the text), a page at a time in upload order. A row opens the example beside the
// list (`/datasets/<id>/examples/<example id>`, keeping the address's query), where it can be
// edited or deleted.
import { Link, Outlet, useLocation, useNavigate, useParams, useSearchParams } from "react-router";

import { useGraphQL } from "../api/hooks";
import { examplePath } from "../components/datasets/datasetPaths";
import { jsonPreview, rowNumber, versionLabel } from "../components/datasets/exampleText";
import { SearchBox } from "../components/datasets/SearchBox";
import { Pagination } from "../components/Pagination";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { graphql } from "../gql";
import { formatCount } from "../lib/format";
import { usePager } from "../lib/pager";

const ROWS_PER_PAGE = 50;

const DatasetExamplesQuery = graphql(`
  query DatasetExamples(
    $id: ID!
    $version: ID
    $splits: [ID!]
    $filter: String
    $first: Int
    $after: String
  ) {
    dataset(id: $id) {
      id
      exampleCount(datasetVersionId: $version, splitIds: $splits)
      splits {
        id
        name
        color
      }
      versions(first: 100) {
        edges {
          node {
            id
            createdAt
            description
          }
        }
      }
      examples(
        datasetVersionId: $version
        splitIds: $splits
        filter: $filter
        first: $first
        after: $after
      ) {
        edges {
          node {
            id
            externalId
            revision {
              input
              output
              metadata
            }
            datasetSplits {
              id
              name
              color
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

export default function DatasetExamplesPage() {
  const { datasetId = "", exampleId } = useParams();
  const [searchParams, setSearchParams] = useSearchParams();
  const { search } = useLocation();
  const navigate = useNavigate();
  const version = searchParams.get("version") ?? "";
  const split = searchParams.get("split") ?? "";
  const text = (searchParams.get("q") ?? "").trim();
  const pager = usePager(`${datasetId}|${version}|${split}|${text}`);
  const { data, error, isPending, isPlaceholderData } = useGraphQL(
    DatasetExamplesQuery,
    {
      id: datasetId,
      version: version || null,
      splits: split ? [split] : null,
      filter: text || null,
      first: ROWS_PER_PAGE,
      after: pager.after,
    },
    { keepPrevious: true },
  );

  const setParam = (key: string, value: string) =>
    setSearchParams(
      (previous) => {
        const params = new URLSearchParams(previous);
        if (value) params.set(key, value);
        else params.delete(key);
        return params;
      },
      { replace: key === "q" },
    );

  if (isPending) return <Loading label="Loading examples…" />;
  if (error && !data) return <ErrorState error={error} />;
  const dataset = data.dataset;
  if (!dataset) return null; // the dataset's page says it is missing
  const versions = dataset.versions.edges.map((edge) => edge.node);
  const { edges, pageInfo } = dataset.examples;

  let list;
  if (versions.length === 0) {
    list = <EmptyState title="This dataset has no versions yet" />;
  } else if (edges.length === 0 && pager.pageIndex === 0) {
    list =
      text || split ? (
        <EmptyState title="No example matches">
          Clear the search or the split to see every example of this version.
        </EmptyState>
      ) : (
        <EmptyState title="This version has no examples" />
      );
  } else {
    list = (
      <>
        <div className="panel">
          <table className="data examples-table" data-testid="examples-table">
            <thead>
              <tr>
                <th scope="col">Example</th>
                <th scope="col">Input</th>
                <th scope="col">Output</th>
                <th scope="col">Metadata</th>
                <th scope="col">Splits</th>
              </tr>
            </thead>
            <tbody>
              {edges.map(({ node }) => (
                <tr
                  key={node.id}
                  className={node.id === exampleId ? "selected" : undefined}
                  onClick={() => void navigate(examplePath(datasetId, node.id, search))}
                >
                  <td className="mono">
                    <Link to={examplePath(datasetId, node.id, search)}>
                      {node.externalId ?? `#${rowNumber(node.id)}`}
                    </Link>
                  </td>
                  <td className="preview">{jsonPreview(node.revision?.input)}</td>
                  <td className="preview">{jsonPreview(node.revision?.output)}</td>
                  <td className="preview">{jsonPreview(node.revision?.metadata)}</td>
                  <td>
                    {node.datasetSplits.map((item) => (
                      <span key={item.id} className="chip" style={{ borderColor: item.color }}>
                        {item.name}
                      </span>
                    ))}
                  </td>
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
    <div className="examples-page">
      <div className="page-toolbar">
        <label className="inline-field">
          Version
          <select
            aria-label="Version"
            value={version}
            onChange={(event) => setParam("version", event.target.value)}
          >
            <option value="">Latest{versions[0] ? ` (${versionLabel(versions[0])})` : ""}</option>
            {version && !versions.some((item) => item.id === version) ? (
              <option value={version}>#{rowNumber(version)}</option>
            ) : null}
            {versions.map((item) => (
              <option key={item.id} value={item.id}>
                {versionLabel(item)}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          Split
          <select
            aria-label="Split"
            value={split}
            onChange={(event) => setParam("split", event.target.value)}
          >
            <option value="">All splits</option>
            {dataset.splits.map((item) => (
              <option key={item.id} value={item.id}>
                {item.name}
              </option>
            ))}
          </select>
        </label>
        <SearchBox
          value={text}
          onChange={(next) => setParam("q", next.trim())}
          label="Search examples"
          placeholder="Search input, output, metadata"
        />
        <span className="muted" data-testid="examples-count">
          {formatCount(dataset.exampleCount)} examples
          {split ? " in this split" : ""}
          {isPlaceholderData ? " · updating…" : ""}
        </span>
      </div>
      {error ? <ErrorState error={error} /> : null}
      <div className={exampleId ? "examples-layout with-panel" : "examples-layout"}>
        <div className="examples-list">{list}</div>
        <Outlet />
      </div>
    </div>
  );
}
