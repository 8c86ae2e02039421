// `/datasets/<id>/experiments`, the dataset's default tab: its experiments, newest first, each
// with its runs, errors, mean latency, tokens, cost and mean score per evaluator. Two to eight
// ticked experiments open side by side (`/datasets/<id>/compare?experimentId=…`, the first
// ticked one as the baseline); ticked experiments can also be deleted. A name opens the
// experiment's runs. The figures that add up every run are read apart from the list and fill
// it in (for experiments of 100,000 runs they take a second or two). An experiment the server
// runs (from the playground) shows its job's status and progress, read again every 2 s while
// one runs, with cancel and resume.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";

import { request } from "../api/graphql";
import { useGraphQL } from "../api/hooks";
import { CanWrite } from "../components/auth/viewer";
import { MAX_COMPARED, MIN_COMPARED } from "../components/experiments/compareSearch";
import { JobActions, JobStatus } from "../components/experiments/JobProgress";
import { comparePath, experimentPath } from "../components/experiments/experimentPaths";
import { formatScore } from "../components/experiments/scores";
import { playgroundPath } from "../components/prompts/promptPaths";
import { useUrlPager } from "../components/experiments/urlPager";
import { Pagination } from "../components/Pagination";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { graphql } from "../gql";
import {
  formatCost,
  formatCount,
  formatLatency,
  formatPercent,
  formatTime,
} from "../lib/format";
import "../components/experiments/experiments.css";

const EXPERIMENTS_PER_PAGE = 50;
/** How often the list is read again while one of its experiments runs on the server. */
const JOB_POLL_MS = 2000;

const DatasetExperimentsQuery = graphql(`
  query DatasetExperiments($id: ID!, $first: Int, $after: String) {
    dataset(id: $id) {
      id
      experimentCount
      experiments(first: $first, after: $after) {
        edges {
          node {
            id
            name
            description
            sequenceNumber
            createdAt
            repetitions
            exampleCount
            runCount
            errorCount
            errorRate
            job {
              id
              status
              statusReason
              progress {
                total
                done
                failed
              }
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

/** The figures that add up every run (and its project's spans): read apart from the list, so
 * that the list shows at once and these fill in, even for experiments of 100,000 runs. */
const ExperimentFiguresQuery = graphql(`
  query ExperimentFigures($ids: [ID!]!) {
    experiments(ids: $ids) {
      id
      averageRunLatencyMs
      costSummary {
        total {
          tokens
          cost
        }
      }
      annotationSummaries {
        annotationName
        meanScore
        count
      }
    }
  }
`);

const DeleteExperimentsMutation = graphql(`
  mutation DeleteExperiments($input: DeleteExperimentsInput!) {
    deleteExperiments(input: $input) {
      experiments {
        id
      }
    }
  }
`);

export default function DatasetExperimentsPage() {
  const { datasetId = "" } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const pager = useUrlPager();
  const [selected, setSelected] = useState<string[]>([]);
  const experiments = useGraphQL(
    DatasetExperimentsQuery,
    { id: datasetId, first: EXPERIMENTS_PER_PAGE, after: pager.after },
    {
      keepPrevious: true,
      refetchInterval: JOB_POLL_MS,
      pollUntil: (answer) =>
        !(answer.dataset?.experiments.edges ?? []).some(
          (edge) => edge.node.job?.status === "RUNNING",
        ),
    },
  );
  const pageIds = (experiments.data?.dataset?.experiments.edges ?? []).map((edge) => edge.node.id);
  const figures = useGraphQL(
    ExperimentFiguresQuery,
    { ids: pageIds },
    { enabled: pageIds.length > 0, keepPrevious: true },
  );
  const remove = useMutation({
    mutationFn: (ids: string[]) =>
      request(DeleteExperimentsMutation, { input: { experimentIds: ids } }),
    onSuccess: async () => {
      setSelected([]);
      await queryClient.invalidateQueries();
    },
  });

  if (experiments.isPending) return <Loading label="Loading experiments…" />;
  if (experiments.error) return <ErrorState error={experiments.error} />;
  const dataset = experiments.data.dataset;
  if (!dataset) return <EmptyState title="No such dataset" />;
  const rows = dataset.experiments.edges.map((edge) => edge.node);
  if (rows.length === 0 && pager.pageIndex === 0) {
    return (
      <EmptyState title="No experiments yet">
        Run a prompt over this dataset from the{" "}
        <Link to={playgroundPath({ datasetId })}>playground</Link>, or run one with{" "}
        <code>run_experiment(...)</code> from <code>arize-phoenix-client</code>; its runs and
        scores will be listed here.
      </EmptyState>
    );
  }
  const figuresById = new Map(
    (figures.data?.experiments ?? []).flatMap((figure) => (figure ? [[figure.id, figure]] : [])),
  );
  const evaluators = [
    ...new Set(
      [...figuresById.values()].flatMap((figure) =>
        figure.annotationSummaries.map((summary) => summary.annotationName),
      ),
    ),
  ].sort();
  const pending = figures.isPending ? "…" : "–";
  const toggle = (id: string) =>
    setSelected((current) =>
      current.includes(id) ? current.filter((item) => item !== id) : [...current, id],
    );
  const comparable = selected.length >= MIN_COMPARED && selected.length <= MAX_COMPARED;

  return (
    <section aria-label="Experiments">
      <div className="page-toolbar">
        <span className="muted" data-testid="experiment-count">
          {formatCount(dataset.experimentCount)} experiment
          {dataset.experimentCount === 1 ? "" : "s"}
        </span>
        <span className="muted">
          {selected.length
            ? `${selected.length} selected (the first one is the baseline)`
            : `Select ${MIN_COMPARED} to ${MAX_COMPARED} to compare them`}
        </span>
        <button
          type="button"
          className="primary"
          disabled={!comparable}
          onClick={() => void navigate(comparePath(datasetId, selected))}
        >
          Compare
        </button>
        <CanWrite>
          <button
            type="button"
            disabled={selected.length === 0 || remove.isPending}
            onClick={() => {
              if (window.confirm(`Delete ${selected.length} experiment(s) with their runs?`)) {
                remove.mutate(selected);
              }
            }}
          >
            Delete
          </button>
        </CanWrite>
      </div>
      {remove.error ? <ErrorState error={remove.error} /> : null}
      {figures.error ? (
        <ErrorState error={figures.error} title="The experiments' figures could not be read" />
      ) : null}
      <div className="panel">
        <table className="data experiments-table">
          <thead>
            <tr>
              <th className="select-cell">
                <span className="visually-hidden">Select</span>
              </th>
              <th>Experiment</th>
              <th>Created</th>
              <th>Job</th>
              <th className="numeric">Runs</th>
              <th className="numeric">Errors</th>
              <th className="numeric">Avg latency</th>
              <th className="numeric">Tokens</th>
              <th className="numeric">Cost</th>
              {evaluators.map((name) => (
                <th key={name} className="numeric" title={`Mean ${name} score`}>
                  {name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => {
              const figure = figuresById.get(row.id);
              const scores = new Map(
                (figure?.annotationSummaries ?? []).map((s) => [s.annotationName, s.meanScore]),
              );
              return (
                <tr key={row.id} data-testid="experiment-row">
                  <td className="select-cell">
                    <input
                      type="checkbox"
                      aria-label={`Select ${row.name}`}
                      checked={selected.includes(row.id)}
                      onChange={() => toggle(row.id)}
                    />
                  </td>
                  <td>
                    <Link className="experiment-name" to={experimentPath(datasetId, row.id)}>
                      {row.name}
                    </Link>{" "}
                    <span className="muted">#{row.sequenceNumber}</span>
                    {row.description ? <div className="muted">{row.description}</div> : null}
                  </td>
                  <td>{formatTime(row.createdAt)}</td>
                  <td className="job-cell" data-testid="experiment-job">
                    {row.job ? (
                      <>
                        <JobStatus status={row.job.status} />{" "}
                        <span className="muted" data-testid="experiment-job-runs">
                          {formatCount(row.job.progress.done)} /{" "}
                          {formatCount(row.job.progress.total)}
                        </span>
                        <progress
                          value={row.job.progress.done}
                          max={Math.max(row.job.progress.total, 1)}
                          aria-label={`Runs done of ${row.name}`}
                        />
                        {row.job.statusReason ? (
                          <div className="muted">{row.job.statusReason}</div>
                        ) : null}
                        <JobActions
                          jobId={row.job.id}
                          status={row.job.status}
                          failed={row.job.progress.failed}
                        />
                      </>
                    ) : (
                      <span className="muted" title="Run by a client">
                        –
                      </span>
                    )}
                  </td>
                  <td className="numeric" title={`${row.exampleCount} examples × ${row.repetitions}`}>
                    {formatCount(row.runCount)}
                  </td>
                  <td className="numeric">
                    {row.errorCount ? (
                      <span className="error-text">
                        {formatCount(row.errorCount)} ({formatPercent(row.errorRate)})
                      </span>
                    ) : (
                      "0"
                    )}
                  </td>
                  <td className="numeric">
                    {figure ? formatLatency(figure.averageRunLatencyMs) : pending}
                  </td>
                  <td className="numeric">
                    {figure ? formatCount(figure.costSummary.total.tokens) : pending}
                  </td>
                  <td className="numeric">
                    {figure ? formatCost(figure.costSummary.total.cost) : pending}
                  </td>
                  {evaluators.map((name) => (
                    <td key={name} className="numeric score-cell" data-evaluator={name}>
                      {formatScore(scores.get(name))}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <Pagination
        pager={pager}
        hasNextPage={dataset.experiments.pageInfo.hasNextPage}
        endCursor={dataset.experiments.pageInfo.endCursor}
      />
    </section>
  );
}
