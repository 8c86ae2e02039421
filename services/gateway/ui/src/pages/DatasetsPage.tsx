// `/datasets`: every dataset with its example count and latest version, searched by name and
// sorted (both in the address: `?name=qa&sort=name`), a page at a time. "Upload dataset" opens
// the upload dialog (`?upload=1`); once the server has stored the file, its examples open.
import { useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useSearchParams } from "react-router";

import { CanWrite, useCan } from "../components/auth/viewer";
import { datasetPath } from "../components/datasets/datasetPaths";
import { SearchBox } from "../components/datasets/SearchBox";
import { UploadDatasetDialog } from "../components/datasets/UploadDatasetDialog";
import { Pagination } from "../components/Pagination";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { useGraphQL } from "../api/hooks";
import { graphql } from "../gql";
import type { DatasetColumn, SortDirection } from "../gql/graphql";
import { formatCount, formatTime } from "../lib/format";
import { usePager } from "../lib/pager";
import "../components/datasets/datasets.css";

const ROWS_PER_PAGE = 50;

const DatasetListQuery = graphql(`
  query DatasetList($first: Int, $after: String, $sort: DatasetSort, $filter: DatasetFilter) {
    datasets(first: $first, after: $after, sort: $sort, filter: $filter) {
      edges {
        node {
          id
          name
          description
          createdAt
          exampleCount
          latestVersion {
            id
            createdAt
            description
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

const SORTS: Record<string, { label: string; col: DatasetColumn; dir: SortDirection }> = {
  newest: { label: "Newest first", col: "createdAt", dir: "DESC" },
  oldest: { label: "Oldest first", col: "createdAt", dir: "ASC" },
  name: { label: "Name", col: "name", dir: "ASC" },
};

export default function DatasetsPage() {
  const [searchParams, setSearchParams] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const name = (searchParams.get("name") ?? "").trim();
  const sortKey = searchParams.get("sort") ?? "newest";
  const sort = SORTS[sortKey] ?? SORTS.newest;
  const canWrite = useCan("write");
  const uploading = canWrite && searchParams.get("upload") === "1";
  const pager = usePager(`${name}|${sortKey}`);
  const { data, error, isPending } = useGraphQL(
    DatasetListQuery,
    {
      first: ROWS_PER_PAGE,
      after: pager.after,
      sort: { col: sort.col, dir: sort.dir },
      filter: name ? { col: "name", value: name } : null,
    },
    { keepPrevious: true },
  );

  const setParam = (key: string, value: string | null) =>
    setSearchParams(
      (previous) => {
        const params = new URLSearchParams(previous);
        if (value) params.set(key, value);
        else params.delete(key);
        return params;
      },
      { replace: key !== "upload" },
    );

  let body;
  if (isPending) body = <Loading label="Loading datasets…" />;
  else if (error && !data) body = <ErrorState error={error} />;
  else {
    const { edges, pageInfo } = data.datasets;
    if (edges.length === 0 && pager.pageIndex === 0) {
      body = name ? (
        <EmptyState title={`No dataset name contains “${name}”`}>
          Clear the search to see every dataset.
        </EmptyState>
      ) : (
        <EmptyState title="No datasets yet">
          Upload a CSV or JSONL file, add spans from a trace, or create one with{" "}
          <code>client.datasets.create_dataset(...)</code> from <code>arize-phoenix-client</code>.
        </EmptyState>
      );
    } else {
      body = (
        <>
          <div className="panel">
            <table className="data" data-testid="datasets-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Description</th>
                  <th scope="col" className="numeric">
                    Examples
                  </th>
                  <th scope="col">Latest version</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {edges.map(({ node }) => (
                  <tr key={node.id}>
                    <td>
                      <Link to={datasetPath(node.id, "examples")}>{node.name}</Link>
                    </td>
                    <td className="preview">{node.description ?? ""}</td>
                    <td className="numeric" data-testid="example-count">
                      {formatCount(node.exampleCount)}
                    </td>
                    <td>
                      {node.latestVersion ? (
                        <Link to={datasetPath(node.id, "versions")}>
                          {formatTime(node.latestVersion.createdAt)}
                        </Link>
                      ) : (
                        "–"
                      )}
                    </td>
                    <td>{formatTime(node.createdAt)}</td>
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
  }

  return (
    <div className="datasets-page">
      <div className="page-toolbar">
        <h1>Datasets</h1>
        <SearchBox
          value={name}
          onChange={(next) => setParam("name", next.trim() || null)}
          label="Search datasets by name"
          placeholder="Search by name"
        />
        <select
          aria-label="Sort datasets"
          value={sortKey in SORTS ? sortKey : "newest"}
          onChange={(event) =>
            setParam("sort", event.target.value === "newest" ? null : event.target.value)
          }
        >
          {Object.entries(SORTS).map(([key, option]) => (
            <option key={key} value={key}>
              {option.label}
            </option>
          ))}
        </select>
        <CanWrite>
          <button type="button" className="primary" onClick={() => setParam("upload", "1")}>
            Upload dataset
          </button>
        </CanWrite>
      </div>
      {body}
      {uploading ? (
        <UploadDatasetDialog
          onClose={() => setParam("upload", null)}
          onUploaded={(answer) => {
            void queryClient.invalidateQueries();
            void navigate(datasetPath(answer.datasetId, "examples"));
          }}
        />
      ) : null}
    </div>
  );
}
