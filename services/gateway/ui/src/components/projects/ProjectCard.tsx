// One project on the projects page: its name and its figures over the chosen time range. The
// whole card is the link to the project's traces.
import { Link } from "react-router";

import { formatCost, formatCount, formatLatency, formatPercent } from "../../lib/format";
import type { ProjectCardData } from "./projectCards";

export function ProjectCard({ project }: { project: ProjectCardData }) {
  const { stats } = project;
  const { gradientStartColor, gradientEndColor } = project;
  const gradient = `linear-gradient(90deg, ${gradientStartColor}, ${gradientEndColor})`;
  const figures: { key: string; label: string; value: string; warn?: boolean }[] = [
    { key: "traces", label: "Traces", value: formatCount(stats.traceCount) },
    { key: "latency-p50", label: "Latency p50", value: formatLatency(stats.latencyMsP50) },
    { key: "latency-p99", label: "Latency p99", value: formatLatency(stats.latencyMsP99) },
    { key: "tokens", label: "Tokens", value: formatCount(stats.tokenCountTotal) },
    { key: "cost", label: "Cost", value: formatCost(stats.costTotal) },
    {
      key: "error-rate",
      label: "Error rate",
      value: formatPercent(stats.errorRate),
      warn: (stats.errorRate ?? 0) > 0,
    },
  ];
  return (
    <Link
      to={`/projects/${encodeURIComponent(project.name)}/traces`}
      className="project-card panel"
      data-testid="project-card"
      data-project={project.name}
    >
      <span
        className="project-card-stripe"
        aria-hidden="true"
        style={{ background: gradient }}
      />
      <h2 className="project-card-name">{project.name}</h2>
      {project.description ? (
        <p className="project-card-description">{project.description}</p>
      ) : null}
      <dl className="project-card-figures">
        {figures.map((figure) => (
          <div key={figure.key} data-testid={`project-${figure.key}`}>
            <dt>{figure.label}</dt>
            <dd className={figure.warn ? "project-card-warn" : undefined}>{figure.value}</dd>
          </div>
        ))}
      </dl>
    </Link>
  );
}
