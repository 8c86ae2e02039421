// The metrics charts of a project: volume, latency quantiles, errors, tokens and cost per
// bucket, and the mean score of each annotation name. Buckets are categories on the x axis
// (every bucket is present, empty ones too), so bars sit in even slots and recharts thins the
// tick labels itself.
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

import { formatCost, formatCount, formatLatency, formatPercent } from "../../lib/format";
import { ErrorState } from "../States";
import { ChartPanel } from "./ChartPanel";
import { formatScore } from "./scores";
import type { ScoreChartData } from "./scores";
import { axisTimeFormatter, bucketLabel, countLabel } from "./series";
import type { MetricsPoint, MetricsTotals } from "./series";
import type { MetricsWindow } from "./window";

const COLORS = {
  traces: "#2563eb",
  errors: "#dc2626",
  p50: "#16a34a",
  p90: "#d97706",
  p99: "#dc2626",
  prompt: "#7c3aed",
  completion: "#0891b2",
  cost: "#0d9488",
};

/** The lines of the Scores chart, in turn. */
const SCORE_COLORS = [
  "#2563eb",
  "#16a34a",
  "#d97706",
  "#db2777",
  "#7c3aed",
  "#0891b2",
  "#65a30d",
  "#dc2626",
];

const MARGIN = { top: 8, right: 12, bottom: 0, left: 0 };

type ValueFormatter = (value: number) => string;

function numberOf(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

/** The Scores chart's state: its data, or why it has none (yet). */
export type ScoresState = { data: ScoreChartData } | { error: Error } | { loading: true };

export function MetricsCharts({
  points,
  totals,
  window,
  scores,
}: {
  points: MetricsPoint[];
  totals: MetricsTotals;
  window: MetricsWindow;
  scores: ScoresState;
}) {
  const { interval } = window;
  const tickFormatter = axisTimeFormatter(window.buckets * interval);

  // Shared axes and tooltip; a function, not a component, because recharts finds its parts
  // among the chart's direct children.
  const frame = (format: ValueFormatter, { counts = false, axisWidth = 64 } = {}) => [
    <CartesianGrid key="grid" strokeDasharray="3 3" vertical={false} />,
    <XAxis
      key="x"
      dataKey="time"
      tickFormatter={(time) => tickFormatter(numberOf(time))}
      minTickGap={24}
      tick={{ fontSize: 11 }}
    />,
    <YAxis
      key="y"
      width={axisWidth}
      allowDecimals={!counts}
      tickFormatter={(value) => format(numberOf(value))}
      tick={{ fontSize: 11 }}
    />,
    <Tooltip
      key="tooltip"
      labelFormatter={(time) => bucketLabel(numberOf(time), interval)}
      formatter={(value) => (value == null ? "–" : format(numberOf(value)))}
    />,
  ];

  return (
    <div className="metrics-grid">
      <ChartPanel
        id="traces"
        title="Traces"
        summary={countLabel(totals.traces, "trace", formatCount)}
      >
        <BarChart data={points} margin={MARGIN}>
          {frame(formatCount, { counts: true })}
          <Bar dataKey="traces" name="Traces" fill={COLORS.traces} isAnimationActive={false} />
        </BarChart>
      </ChartPanel>
      <ChartPanel id="latency" title="Latency">
        <LineChart data={points} margin={MARGIN}>
          {frame(formatLatency)}
          <Legend verticalAlign="top" height={24} />
          {(["p50", "p90", "p99"] as const).map((quantile) => (
            <Line
              key={quantile}
              dataKey={quantile}
              name={quantile}
              stroke={COLORS[quantile]}
              // A dot per bucket: a bucket between two empty ones has no line to draw.
              dot={{ r: 2 }}
              strokeWidth={2}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ChartPanel>
      <ChartPanel
        id="errors"
        title="Errors"
        summary={`${countLabel(totals.errors, "error", formatCount)} (${formatPercent(
          totals.errorRate,
        )})`}
      >
        <BarChart data={points} margin={MARGIN}>
          {frame(formatCount, { counts: true })}
          <Bar dataKey="errors" name="Errors" fill={COLORS.errors} isAnimationActive={false} />
        </BarChart>
      </ChartPanel>
      <ChartPanel
        id="tokens"
        title="Tokens"
        summary={countLabel(totals.promptTokens + totals.completionTokens, "token", formatCount)}
      >
        <BarChart data={points} margin={MARGIN}>
          {frame(formatCount, { counts: true })}
          <Legend verticalAlign="top" height={24} />
          <Bar
            dataKey="promptTokens"
            name="Prompt"
            stackId="tokens"
            fill={COLORS.prompt}
            isAnimationActive={false}
          />
          <Bar
            dataKey="completionTokens"
            name="Completion"
            stackId="tokens"
            fill={COLORS.completion}
            isAnimationActive={false}
          />
        </BarChart>
      </ChartPanel>
      <ChartPanel id="cost" title="Cost" summary={formatCost(totals.cost)}>
        <BarChart data={points} margin={MARGIN}>
          {frame(formatCost, { axisWidth: 80 })}
          <Bar dataKey="cost" name="Cost" fill={COLORS.cost} isAnimationActive={false} />
        </BarChart>
      </ChartPanel>
      {"data" in scores && scores.data.lines.length > 0 ? (
        <ChartPanel id="scores" title="Scores" summary={scoresSummary(scores.data)}>
          <LineChart data={scores.data.points} margin={MARGIN}>
            {frame(formatScore, { axisWidth: 48 })}
            <Legend verticalAlign="top" height={24} />
            {scores.data.lines.map((line, index) => (
              <Line
                key={line.key}
                dataKey={line.key}
                name={line.name}
                stroke={SCORE_COLORS[index % SCORE_COLORS.length]}
                // Scores are sparse (buckets without annotations): the line reads across them.
                connectNulls
                dot={{ r: 2 }}
                strokeWidth={2}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </ChartPanel>
      ) : (
        <section
          className="panel metrics-chart metrics-chart-empty"
          aria-labelledby="chart-scores-title"
          data-testid="chart-scores"
        >
          <header className="metrics-chart-header">
            <h2 id="chart-scores-title">Scores</h2>
          </header>
          {"error" in scores ? (
            <ErrorState error={scores.error} title="The scores could not be read" />
          ) : "loading" in scores ? (
            <p className="muted">Loading the scores…</p>
          ) : (
            <p className="muted" data-testid="scores-empty">
              {scores.data.labelOnly.length > 0
                ? `Only labels in this time range (${scores.data.labelOnly.join(", ")}).`
                : "No scores in this time range. The scores of online evaluation rules and " +
                  "of other annotations appear here, a line per annotation name."}
            </p>
          )}
        </section>
      )}
    </div>
  );
}

/** "12 annotations; labels only: tone". */
function scoresSummary(data: ScoreChartData): string {
  const count = `${formatCount(data.total)} annotation${data.total === 1 ? "" : "s"}`;
  return data.labelOnly.length > 0 ? `${count}; labels only: ${data.labelOnly.join(", ")}` : count;
}
