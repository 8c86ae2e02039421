// `/datasets/<id>/experiments/<experiment id>`: one experiment's figures and its runs, a page at a
// time in example order (repetitions one after the other): each run's input, expected output,
// output or error, evaluations (explanations on hover, or opened with a click), latency, tokens,
// cost and a link to its trace. A row's button shows its input, expected output and output in
// full. The page's cursors live in the address (`?after=`).
import { Fragment, useState } from "react";
import { Link, useParams } from "react-router";

import { useGraphQL } from "../api/hooks";
import { rowNumber } from "../components/datasets/exampleText";
import { Evaluations } from "../components/experiments/Evaluations";
import { comparePath, tracePath } from "../components/experiments/experimentPaths";
import { formatScore, valuePreview, valueText } from "../components/experiments/scores";
import { useUrlPager } from "../components/experiments/urlPager";
import { Pagination } from "../components/Pagination";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { graphql } from "../gql";
import { formatCost, formatCount, formatLatency, formatPercent, formatTime } from "../lib/format";
import "../components/experiments/experiments.css";

const RUNS_PER_PAGE = 50;

const ExperimentRunsQuery = graphql(`
  query ExperimentRuns($id: ID!, $first: Int, $after: String) {
    experiment(id: $id) {
      id
      name
      description
      datasetId
      sequenceNumber
      createdAt
      repetitions
      exampleCount
      expectedRunCount
      runCount
      errorCount
      errorRate
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
        errorCount
      }
      runs(first: $first, after: $after) {
        edges {
          node {
            id
            repetitionNumber
            output
            error
            latencyMs
            traceId
            example {
              id
              input
              output
            }
            costSummary {
              total {
                tokens
                cost
              }
            }
            annotations {
              id
              name
              label
              score
              explanation
              error
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

export default function ExperimentRunsPage() {
  const { datasetId = "", experimentId = "" } = useParams();
  const pager = useUrlPager();
  const [opened, setOpened] = useState<string | null>(null);
  const runs = useGraphQL(
    ExperimentRunsQuery,
    { id: experimentId, first: RUNS_PER_PAGE, after: pager.after },
    { keepPrevious: true },
  );

  if (runs.isPending) return <Loading label="Loading the experiment's runs…" />;
  if (runs.error) return <ErrorState error={runs.error} />;
  const experiment = runs.data.experiment;
  if (!experiment || experiment.datasetId !== datasetId) {
    return (
      <EmptyState title="No such experiment">
        It may have been deleted.{" "}
        <Link to={`/datasets/${encodeURIComponent(datasetId)}/experiments`}>
          See the dataset's experiments
        </Link>
        .
      </EmptyState>
    );
  }
  const rows = experiment.runs.edges.map((edge) => edge.node);

  return (
    <section aria-label="Experiment runs">
      <div className="page-toolbar">
        <h1>
          <Link to={`/datasets/${encodeURIComponent(datasetId)}/experiments`}>Experiments</Link> /{" "}
          {experiment.name} <span className="muted">#{experiment.sequenceNumber}</span>
        </h1>
        <Link to={comparePath(datasetId, [experiment.id])}>Compare with other experiments</Link>
      </div>
      {experiment.description ? <p className="muted">{experiment.description}</p> : null}
      <dl className="experiment-summary" data-testid="experiment-summary">
        <dt>Created</dt>
        <dd>{formatTime(experiment.createdAt)}</dd>
        <dt>Runs</dt>
        <dd>
          {formatCount(experiment.runCount)} / {formatCount(experiment.expectedRunCount)}
        </dd>
        <dt>Errors</dt>
        <dd>
          {formatCount(experiment.errorCount)} ({formatPercent(experiment.errorRate)})
        </dd>
        <dt>Avg latency</dt>
        <dd>{formatLatency(experiment.averageRunLatencyMs)}</dd>
        <dt>Tokens</dt>
        <dd>{formatCount(experiment.costSummary.total.tokens)}</dd>
        <dt>Cost</dt>
        <dd>{formatCost(experiment.costSummary.total.cost)}</dd>
        {experiment.annotationSummaries.map((summary) => (
          <Fragment key={summary.annotationName}>
            <dt>{summary.annotationName}</dt>
            <dd title={`${summary.count} evaluations, ${summary.errorCount} failed`}>
              {formatScore(summary.meanScore)}
            </dd>
          </Fragment>
        ))}
      </dl>
      {rows.length === 0 && pager.pageIndex === 0 ? (
        <EmptyState title="No runs yet">
          The experiment's runs appear here as <code>run_experiment</code> records them.
        </EmptyState>
      ) : (
        <div className="panel">
          <table className="data runs-table">
            <thead>
              <tr>
                <th>Example</th>
                <th>Input</th>
                <th>Expected</th>
                <th>Output</th>
                <th>Evaluations</th>
                <th className="numeric">Latency</th>
                <th className="numeric">Tokens</th>
                <th className="numeric">Cost</th>
                <th>Trace</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((run) => (
                <Fragment key={run.id}>
                  <tr data-testid="run-row">
                    <td>
                      <button
                        type="button"
                        aria-expanded={opened === run.id}
                        aria-label={`Show example ${rowNumber(run.example.id)} in full`}
                        onClick={() => setOpened(opened === run.id ? null : run.id)}
                      >
                        #{rowNumber(run.example.id)}
                      </button>
                      {experiment.repetitions > 1 ? (
                        <div className="muted">rep. {run.repetitionNumber}</div>
                      ) : null}
                    </td>
                    <td>
                      <div className="value-preview">{valuePreview(run.example.input)}</div>
                    </td>
                    <td>
                      <div className="value-preview">{valuePreview(run.example.output)}</div>
                    </td>
                    <td>
                      {run.error ? (
                        <div className="error-text value-preview">{run.error}</div>
                      ) : (
                        <div className="value-preview">{valuePreview(run.output)}</div>
                      )}
                    </td>
                    <td>
                      <Evaluations evaluations={run.annotations} />
                    </td>
                    <td className="numeric">{formatLatency(run.latencyMs)}</td>
                    <td className="numeric">{formatCount(run.costSummary.total.tokens)}</td>
                    <td className="numeric">{formatCost(run.costSummary.total.cost)}</td>
                    <td>
                      {run.traceId ? (
                        <Link to={tracePath(run.traceId)} className="mono">
                          Trace
                        </Link>
                      ) : (
                        <span className="muted">–</span>
                      )}
                    </td>
                  </tr>
                  {opened === run.id ? (
                    <tr>
                      <td colSpan={9}>
                        <div className="run-details">
                          <div>
                            <h3>Input</h3>
                            <pre>{valueText(run.example.input)}</pre>
                          </div>
                          <div>
                            <h3>Expected</h3>
                            <pre>{valueText(run.example.output)}</pre>
                          </div>
                          <div>
                            <h3>{run.error ? "Error" : "Output"}</h3>
                            <pre>{run.error ?? valueText(run.output)}</pre>
                          </div>
                        </div>
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pagination
        pager={pager}
        hasNextPage={experiment.runs.pageInfo.hasNextPage}
        endCursor={experiment.runs.pageInfo.endCursor}
      />
    </section>
  );
}
