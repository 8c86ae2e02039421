// `/datasets/<id>/compare?experimentId=<baseline>&experimentId=<other>…`: 2 to 8 experiments of
// the dataset side by side, one row per example of the baseline, a page at a time (the server
// pages by example, so any dataset size works). Each experiment's column holds its runs on the
// example, every repetition shown on its own, and its mean scores with their difference from the
// baseline's, coloured: better, worse, the same. The baseline can be switched, experiments added
// or removed, the examples searched (input) and filtered by score against the baseline ("regressed
// on accuracy"). Every choice, the page included, lives in the address (`compareSearch.ts`).
import { Link, useParams, useSearchParams } from "react-router";

import { useGraphQL } from "../api/hooks";
import { rowNumber } from "../components/datasets/exampleText";
import { SearchBox } from "../components/datasets/SearchBox";
import {
  comparedProblem,
  comparisonFilter,
  MAX_COMPARED,
  readCompareState,
  withBaseline,
  without,
  writeCompareState,
} from "../components/experiments/compareSearch";
import type { CompareState } from "../components/experiments/compareSearch";
import { Evaluations } from "../components/experiments/Evaluations";
import { experimentPath, tracePath } from "../components/experiments/experimentPaths";
import { runGroups } from "../components/experiments/runGroups";
import type { RunGroup } from "../components/experiments/runGroups";
import {
  COMPARISON_LABELS,
  comparisonClass,
  formatDelta,
  formatScore,
  valuePreview,
  valueText,
} from "../components/experiments/scores";
import { Pagination } from "../components/Pagination";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { graphql } from "../gql";
import type { BaselineComparison } from "../gql/graphql";
import { formatCost, formatCount, formatLatency } from "../lib/format";
import type { Pager } from "../lib/pager";
import "../components/experiments/experiments.css";

const EXAMPLES_PER_PAGE = 50;

const CompareHeaderQuery = graphql(`
  query CompareHeader($datasetId: ID!, $ids: [ID!]!) {
    dataset(id: $datasetId) {
      id
      experiments(first: 100) {
        edges {
          node {
            id
            name
            sequenceNumber
          }
        }
      }
    }
    experiments(ids: $ids) {
      id
      name
      sequenceNumber
      datasetId
      runCount
      averageRunLatencyMs
      annotationSummaries {
        annotationName
        meanScore
      }
    }
  }
`);

const ComparePageQuery = graphql(`
  query ComparePage(
    $base: ID!
    $others: [ID!]!
    $first: Int
    $after: String
    $search: String
    $filter: ExperimentComparisonFilter
  ) {
    compareExperiments(
      baseExperimentId: $base
      compareExperimentIds: $others
      first: $first
      after: $after
      search: $search
      filter: $filter
    ) {
      edges {
        node {
          id
          example {
            id
            input
            output
          }
          repeatedRunGroupsJson
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

interface ExperimentHeading {
  id: string;
  name: string;
  sequenceNumber: number;
}

function GroupCell({ group }: { group: RunGroup | undefined }) {
  if (!group || group.runs.length === 0) return <span className="no-run">No run</span>;
  return (
    <>
      {group.annotationSummaries.length ? (
        <div className="group-scores" aria-label="Mean scores">
          {group.annotationSummaries.map((score) => (
            <span key={score.annotationName} className="group-score" data-evaluator={score.annotationName}>
              {score.annotationName} {formatScore(score.meanScore)}
              {score.comparison ? (
                <span
                  className={comparisonClass(score.comparison)}
                  data-comparison={score.comparison}
                  title={`${COMPARISON_LABELS[score.comparison]} against the baseline`}
                >
                  {formatDelta(score.baselineDelta)}
                </span>
              ) : null}
            </span>
          ))}
        </div>
      ) : null}
      {group.runs.map((run) => (
        <div key={run.id} className="repetition" data-testid="repetition">
          {run.error ? (
            <div className="error-text value-preview">{run.error}</div>
          ) : (
            <div className="value-preview" title={valueText(run.output)}>
              {valuePreview(run.output)}
            </div>
          )}
          <div className="repetition-facts">
            {group.runs.length > 1 ? <span>rep. {run.repetitionNumber}</span> : null}
            <span>{formatLatency(run.latencyMs)}</span>
            {run.costSummary.total.tokens != null ? (
              <span>{formatCount(run.costSummary.total.tokens)} tokens</span>
            ) : null}
            {run.costSummary.total.cost != null ? (
              <span>{formatCost(run.costSummary.total.cost)}</span>
            ) : null}
            {run.traceId ? <Link to={tracePath(run.traceId)}>trace</Link> : null}
          </div>
          <Evaluations evaluations={run.annotations} />
        </div>
      ))}
    </>
  );
}

function Toolbar({
  state,
  setState,
  compared,
  available,
  evaluators,
}: {
  state: CompareState;
  setState: (next: CompareState) => void;
  compared: ExperimentHeading[];
  available: ExperimentHeading[];
  /** The evaluation names of the compared experiments, which the filter offers. */
  evaluators: string[];
}) {
  const filter = state.filter;
  const setFilter = (next: CompareState["filter"]) =>
    setState({ ...state, filter: next, cursors: [] });
  const others = compared.slice(1);
  return (
    <div className="compare-toolbar">
      <SearchBox
        value={state.search}
        onChange={(search) => setState({ ...state, search, cursors: [] })}
        label="Search the examples' input"
        placeholder="Search input…"
      />
      <label className="inline-field">
        Show examples where
        <select
          aria-label="Filter on evaluator"
          value={filter?.evaluator ?? ""}
          onChange={(event) =>
            setFilter(
              event.target.value
                ? {
                    evaluator: event.target.value,
                    comparison: filter?.comparison ?? "REGRESSED",
                    versus: filter?.versus ?? null,
                  }
                : null,
            )
          }
        >
          <option value="">any score</option>
          {[...new Set([...evaluators, ...(filter ? [filter.evaluator] : [])])].map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </label>
      {filter ? (
        <>
          <select
            aria-label="Compared to the baseline"
            value={filter.comparison}
            onChange={(event) =>
              setFilter({ ...filter, comparison: event.target.value as BaselineComparison })
            }
          >
            <option value="REGRESSED">regressed vs the baseline</option>
            <option value="IMPROVED">improved vs the baseline</option>
            <option value="EQUAL">is equal to the baseline</option>
          </select>
          <select
            aria-label="In experiment"
            value={filter.versus ?? ""}
            onChange={(event) => setFilter({ ...filter, versus: event.target.value || null })}
          >
            <option value="">in any experiment</option>
            {others.map((experiment) => (
              <option key={experiment.id} value={experiment.id}>
                in {experiment.name}
              </option>
            ))}
          </select>
        </>
      ) : null}
      <label className="inline-field">
        Add
        <select
          aria-label="Add an experiment"
          value=""
          disabled={state.experimentIds.length >= MAX_COMPARED || available.length === 0}
          onChange={(event) =>
            event.target.value &&
            setState({
              ...state,
              experimentIds: [...state.experimentIds, event.target.value],
              cursors: [],
            })
          }
        >
          <option value="">an experiment…</option>
          {available.map((experiment) => (
            <option key={experiment.id} value={experiment.id}>
              {experiment.name} #{experiment.sequenceNumber}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

export default function ExperimentComparePage() {
  const { datasetId = "" } = useParams();
  const [searchParams, setSearchParams] = useSearchParams();
  const state = readCompareState(searchParams);
  const setState = (next: CompareState) => setSearchParams(writeCompareState(next));
  const problem = comparedProblem(state.experimentIds);
  const [base = "", ...others] = state.experimentIds;
  const header = useGraphQL(
    CompareHeaderQuery,
    { datasetId, ids: state.experimentIds },
    { keepPrevious: true },
  );
  const page = useGraphQL(
    ComparePageQuery,
    {
      base,
      others,
      first: EXAMPLES_PER_PAGE,
      after: state.cursors.at(-1),
      search: state.search || null,
      filter: comparisonFilter(state),
    },
    { enabled: problem === null, keepPrevious: true },
  );
  const pager: Pager = {
    after: state.cursors.at(-1),
    pageIndex: state.cursors.length,
    next: (cursor) => setState({ ...state, cursors: [...state.cursors, cursor] }),
    previous: () => setState({ ...state, cursors: state.cursors.slice(0, -1) }),
  };

  if (header.isPending) return <Loading label="Loading the experiments…" />;
  if (header.error) return <ErrorState error={header.error} />;
  const compared: ExperimentHeading[] = header.data.experiments.flatMap((experiment, index) =>
    experiment && experiment.datasetId === datasetId
      ? [experiment]
      : [{ id: state.experimentIds[index], name: "(not of this dataset)", sequenceNumber: 0 }],
  );
  const summaries = new Map(
    header.data.experiments.flatMap((experiment) =>
      experiment ? [[experiment.id, experiment.annotationSummaries] as const] : [],
    ),
  );
  const evaluatorNames = [
    ...new Set(
      header.data.experiments.flatMap((experiment) =>
        experiment ? experiment.annotationSummaries.map((summary) => summary.annotationName) : [],
      ),
    ),
  ].sort();
  const available = (header.data.dataset?.experiments.edges ?? [])
    .map((edge) => edge.node)
    .filter((experiment) => !state.experimentIds.includes(experiment.id));

  return (
    <section aria-label="Experiment comparison">
      <div className="page-toolbar">
        <h1>
          <Link to={`/datasets/${encodeURIComponent(datasetId)}/experiments`}>Experiments</Link> /
          Compare
        </h1>
      </div>
      <Toolbar
        state={state}
        setState={setState}
        compared={compared}
        available={available}
        evaluators={evaluatorNames}
      />
      {problem ? (
        <EmptyState title="Nothing to compare yet">{problem}</EmptyState>
      ) : page.isPending ? (
        <Loading label="Comparing…" />
      ) : page.error ? (
        <ErrorState error={page.error} />
      ) : (
        <>
          <div className="panel compare-scroll">
            <table className="data compare-table">
              <thead>
                <tr>
                  <th className="example-column">Example</th>
                  {compared.map((experiment, index) => (
                    <th
                      key={experiment.id}
                      className={index === 0 ? "experiment-column baseline" : "experiment-column"}
                      data-testid="experiment-column"
                    >
                      <div className="experiment-heading">
                        <Link to={experimentPath(datasetId, experiment.id)}>
                          {experiment.name}
                        </Link>
                        {index === 0 ? <span className="baseline-badge">Baseline</span> : null}
                        <span className="group-scores">
                          {(summaries.get(experiment.id) ?? []).map((summary) => (
                            <span key={summary.annotationName} className="group-score">
                              {summary.annotationName} {formatScore(summary.meanScore)}
                            </span>
                          ))}
                        </span>
                        <span className="heading-actions">
                          {index > 0 ? (
                            <button
                              type="button"
                              onClick={() => setState(withBaseline(state, experiment.id))}
                            >
                              Make baseline
                            </button>
                          ) : null}
                          <button
                            type="button"
                            aria-label={`Remove ${experiment.name}`}
                            onClick={() => setState(without(state, experiment.id))}
                          >
                            Remove
                          </button>
                        </span>
                      </div>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {page.data.compareExperiments.edges.map(({ node }) => {
                  const groups = new Map(
                    runGroups(node.repeatedRunGroupsJson).map((group) => [
                      group.experimentId,
                      group,
                    ]),
                  );
                  return (
                    <tr key={node.id} data-testid="comparison-row">
                      <td className="example-cell">
                        <div className="muted">#{rowNumber(node.example.id)}</div>
                        <div className="value-preview" title={valueText(node.example.input)}>
                          {valuePreview(node.example.input)}
                        </div>
                        <div className="muted">Expected</div>
                        <div className="value-preview" title={valueText(node.example.output)}>
                          {valuePreview(node.example.output)}
                        </div>
                      </td>
                      {compared.map((experiment, index) => (
                        <td
                          key={experiment.id}
                          className={index === 0 ? "baseline" : undefined}
                          data-experiment={experiment.name}
                        >
                          <GroupCell group={groups.get(experiment.id)} />
                        </td>
                      ))}
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {page.data.compareExperiments.edges.length === 0 ? (
              <EmptyState title="No examples match">
                {state.filter || state.search
                  ? "No example on this page onwards passes the search and filter."
                  : "The baseline has no examples."}
              </EmptyState>
            ) : null}
          </div>
          <Pagination
            pager={pager}
            hasNextPage={page.data.compareExperiments.pageInfo.hasNextPage}
            endCursor={page.data.compareExperiments.pageInfo.endCursor}
          />
        </>
      )}
    </section>
  );
}
