// The frame of one metrics chart: its heading, and the chart sized to the panel's width.
import type { ReactElement } from "react";
import { ResponsiveContainer } from "recharts";

/** Height of every chart, in pixels. */
const CHART_HEIGHT = 200;

export function ChartPanel({
  id,
  title,
  summary,
  children,
}: {
  /** A short key: the panel is `chart-<id>` to tests, its heading `chart-<id>-title`. */
  id: string;
  title: string;
  /** The figure over the whole window, beside the heading. */
  summary?: string;
  children: ReactElement;
}) {
  return (
    <section
      className="panel metrics-chart"
      aria-labelledby={`chart-${id}-title`}
      data-testid={`chart-${id}`}
    >
      <header className="metrics-chart-header">
        <h2 id={`chart-${id}-title`}>{title}</h2>
        {summary ? (
          <span className="metrics-chart-summary" data-testid={`chart-${id}-summary`}>
            {summary}
          </span>
        ) : null}
      </header>
      <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
        {children}
      </ResponsiveContainer>
    </section>
  );
}
