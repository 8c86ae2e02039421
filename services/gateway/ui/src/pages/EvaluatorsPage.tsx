// `/evaluators`: the evaluator library, newest first, 50 a page: each evaluator's name, kind,
// latest version, description, and from its profile what it reads and what it gives; a kind
// filter (`?kind=`), and "New evaluator". A name opens the evaluator's versions.
import { Link, useSearchParams } from "react-router";

import { useEvaluatorList } from "../api/evaluators";
import type { EvaluatorKind } from "../api/evaluators";
import { CanWrite } from "../components/auth/viewer";
import { KIND_LABELS } from "../components/evaluators/catalog";
import { evaluatorPath, NEW_EVALUATOR_PATH } from "../components/evaluators/evaluatorPaths";
import { givesText, readsText } from "../components/evaluators/profileText";
import { Pagination } from "../components/Pagination";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { formatTime } from "../lib/format";
import { usePager } from "../lib/pager";
import "../components/datasets/datasets.css";
import "../components/evaluators/evaluators.css";

const ROWS_PER_PAGE = 50;
const KINDS: readonly EvaluatorKind[] = ["BUILTIN", "LLM", "CODE"];

function kindOf(value: string | null): EvaluatorKind | "" {
  return KINDS.find((kind) => kind === value) ?? "";
}

export default function EvaluatorsPage() {
  const [searchParams, setSearchParams] = useSearchParams();
  const kind = kindOf(searchParams.get("kind"));
  const pager = usePager(`evaluators|${kind}`);
  const { data, error, isPending } = useEvaluatorList(kind, pager.after, ROWS_PER_PAGE);

  let body;
  if (isPending) body = <Loading label="Loading evaluators…" />;
  else if (error && !data) body = <ErrorState error={error} />;
  else if (data.data.length === 0 && pager.pageIndex === 0) {
    body = (
      <EmptyState
        title={kind ? `No ${KIND_LABELS[kind].toLowerCase()} evaluators` : "No evaluators yet"}
      >
        <CanWrite fallback="Members and admins make one">
          <Link to={NEW_EVALUATOR_PATH}>Make one</Link>
        </CanWrite>
        : a built-in (exact match, regex, JSON…),
        an LLM judge, or Python code, tried on an example before it is saved. Attach it to a
        dataset to score its experiments&apos; runs.
      </EmptyState>
    );
  } else {
    body = (
      <>
        <div className="panel">
          <table className="data" data-testid="evaluators-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col" className="numeric">
                  Version
                </th>
                <th scope="col">Description</th>
                <th scope="col">Reads</th>
                <th scope="col">Gives</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {data.data.map((evaluator) => (
                <tr key={evaluator.id} data-testid="evaluator-row">
                  <td>
                    <Link to={evaluatorPath(evaluator.id)}>{evaluator.name}</Link>
                  </td>
                  <td>
                    <span className={`chip kind-chip kind-${evaluator.kind.toLowerCase()}`}>
                      {KIND_LABELS[evaluator.kind]}
                    </span>
                  </td>
                  <td className="numeric" data-testid="evaluator-version">
                    v{evaluator.version}
                  </td>
                  <td className="preview">{evaluator.description ?? ""}</td>
                  <td data-testid="evaluator-reads">{readsText(evaluator.profile)}</td>
                  <td data-testid="evaluator-gives">{givesText(evaluator.profile)}</td>
                  <td>{formatTime(evaluator.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <Pagination
          pager={pager}
          hasNextPage={data.next_cursor !== null}
          endCursor={data.next_cursor}
        />
      </>
    );
  }

  return (
    <div className="evaluators-page">
      <div className="page-toolbar">
        <h1>Evaluators</h1>
        <label className="inline-field">
          Kind
          <select
            value={kind}
            onChange={(event) =>
              setSearchParams(event.target.value ? { kind: event.target.value } : {}, {
                replace: true,
              })
            }
          >
            <option value="">all</option>
            {KINDS.map((value) => (
              <option key={value} value={value}>
                {KIND_LABELS[value]}
              </option>
            ))}
          </select>
        </label>
        <CanWrite>
          <Link className="button primary" to={NEW_EVALUATOR_PATH}>
            New evaluator
          </Link>
        </CanWrite>
      </div>
      {body}
    </div>
  );
}
