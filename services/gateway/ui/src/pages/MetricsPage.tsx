// `/projects/<name>/metrics`: the project's traces over time, in buckets, and the mean score of
// each annotation name (`scoreSeries`, read beside them over the same window, so a failure of
// one leaves the other charts). `timeSeries` needs both bounds, so the window is computed here
// from the chosen range (for "all time", from the project's creation) and moves forward as time
// passes. Loaded lazily: recharts is big.
import { useEffect, useMemo, useState } from "react";
import { useParams } from "react-router";

import { useGraphQL } from "../api/hooks";
import { ProjectHeader } from "../components/Layout";
import { MetricsCharts } from "../components/metrics/MetricsCharts";
import type { ScoresState } from "../components/metrics/MetricsCharts";
import { scoreChart } from "../components/metrics/scores";
import { durationLabel, toPoints, totalsOf } from "../components/metrics/series";
import { metricsWindow, rangeSeconds } from "../components/metrics/window";
import { MissingProject } from "../components/projects/MissingProject";
import { ErrorState, Loading } from "../components/States";
import { TimeRangePicker } from "../components/TimeRangePicker";
import { graphql } from "../gql";
import { formatTime } from "../lib/format";
import { useTimeRange } from "../lib/timeRange";
import "../components/metrics/metrics.css";

const MetricsProjectQuery = graphql(`
  query MetricsProject($name: String!) {
    project(name: $name) {
      id
      createdAt
    }
  }
`);

const ProjectTimeSeriesQuery = graphql(`
  query ProjectTimeSeries($name: String!, $timeRange: TimeRange!, $interval: Int!) {
    project(name: $name) {
      id
      timeSeries(timeRange: $timeRange, interval: $interval) {
        timestamp
        traceCount
        errorCount
        latencyMsP50
        latencyMsP90
        latencyMsP99
        tokenCountPrompt
        tokenCountCompletion
        costTotal
      }
    }
  }
`);

const ProjectScoreSeriesQuery = graphql(`
  query ProjectScoreSeries($name: String!, $timeRange: TimeRange!, $interval: Int!) {
    project(name: $name) {
      id
      scoreSeries(timeRange: $timeRange, interval: $interval) {
        name
        points {
          timestamp
          count
          scoreMean
        }
      }
    }
  }
`);

/** How often the charts are read again, in milliseconds. */
const REFRESH_MS = 15_000;

/** The current time, advanced every `periodMs`: enough for a window aligned to buckets. */
function useNow(periodMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), periodMs);
    return () => window.clearInterval(timer);
  }, [periodMs]);
  return now;
}

export default function MetricsPage() {
  const { projectName = "" } = useParams();
  const { key } = useTimeRange();
  const now = useNow(REFRESH_MS);
  const project = useGraphQL(MetricsProjectQuery, { name: projectName });
  const found = project.data?.project;

  const chartWindow = useMemo(
    () => (found ? metricsWindow(rangeSeconds(key, now, found.createdAt), now) : null),
    [found, key, now],
  );
  const windowVariables = {
    name: projectName,
    timeRange: { start: chartWindow?.start, end: chartWindow?.end },
    interval: chartWindow?.interval ?? 60,
  };
  const windowOptions = {
    enabled: chartWindow != null,
    keepPrevious: true,
    refetchInterval: REFRESH_MS,
  };
  const series = useGraphQL(ProjectTimeSeriesQuery, windowVariables, windowOptions);
  const scoreSeries = useGraphQL(ProjectScoreSeriesQuery, windowVariables, windowOptions);
  const points = useMemo(
    () => toPoints(series.data?.project?.timeSeries ?? []),
    [series.data],
  );
  const totals = useMemo(() => totalsOf(points), [points]);
  const scores = useMemo((): ScoresState => {
    const found = scoreSeries.data?.project?.scoreSeries;
    if (found && chartWindow) return { data: scoreChart(found, chartWindow) };
    if (scoreSeries.error) return { error: scoreSeries.error };
    return { loading: true };
  }, [scoreSeries.data, scoreSeries.error, chartWindow]);

  let body;
  if (project.isPending) body = <Loading label="Loading the project…" />;
  else if (project.error && !project.data) body = <ErrorState error={project.error} />;
  else if (!found) body = <MissingProject name={projectName} />;
  else if (series.isPending || !chartWindow) body = <Loading label="Loading metrics…" />;
  else if (series.error && !series.data) body = <ErrorState error={series.error} />;
  else {
    body = (
      <>
        <p className="metrics-window" data-testid="metrics-window">
          {formatTime(chartWindow.start)} – {formatTime(chartWindow.end)}, in buckets of{" "}
          {durationLabel(chartWindow.interval)}.{" "}
          {totals.traces === 0 ? "No traces started in this time range." : null}
        </p>
        <MetricsCharts points={points} totals={totals} window={chartWindow} scores={scores} />
      </>
    );
  }
  return (
    <div className="metrics-page">
      <ProjectHeader actions={<TimeRangePicker />} />
      {body}
    </div>
  );
}
