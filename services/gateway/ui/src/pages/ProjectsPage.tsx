// `/`: one card per project with its figures over the chosen time range, filtered by name and
// read a page at a time. The list is polled, so a project appears when its first trace lands.
import { useSearchParams } from "react-router";

import { EmptyState, ErrorState, Loading } from "../components/States";
import { TimeRangePicker } from "../components/TimeRangePicker";
import { NameFilter } from "../components/projects/NameFilter";
import { ProjectCard } from "../components/projects/ProjectCard";
import { useProjectCards } from "../components/projects/projectCards";
import { SendTracesHelp } from "../components/projects/SendTracesHelp";
import { useTimeRange } from "../lib/timeRange";
import "../components/projects/projects.css";

export default function ProjectsPage() {
  const [searchParams, setSearchParams] = useSearchParams();
  const name = searchParams.get("name") ?? "";
  const { timeRange } = useTimeRange();
  const query = useProjectCards(name.trim(), timeRange);

  const setName = (next: string) =>
    setSearchParams(
      (previous) => {
        const params = new URLSearchParams(previous);
        if (next) params.set("name", next);
        else params.delete("name");
        return params;
      },
      { replace: true },
    );

  const projects = query.data?.pages.flatMap((page) => page.projects.edges) ?? [];
  // There is always a `default` project, so an empty list is not the only sign of a new install.
  const noTraces =
    !name.trim() && !query.hasNextPage && projects.every((edge) => !edge.node.stats.traceCount);
  let body;
  if (query.isPending) {
    body = <Loading label="Loading projects…" />;
  } else if (query.isError && !query.data) {
    body = <ErrorState error={query.error} />;
  } else if (projects.length === 0) {
    body = name.trim() ? (
      <EmptyState title={`No project name contains “${name.trim()}”`}>
        Clear the filter to see every project.
      </EmptyState>
    ) : (
      <SendTracesHelp />
    );
  } else {
    body = (
      <>
        <div className="project-grid" data-testid="project-grid">
          {projects.map((edge) => (
            <ProjectCard key={edge.node.id} project={edge.node} />
          ))}
        </div>
        {query.hasNextPage ? (
          <div className="projects-more">
            <button
              type="button"
              onClick={() => void query.fetchNextPage()}
              disabled={query.isFetchingNextPage}
            >
              {query.isFetchingNextPage ? "Loading…" : "Load more"}
            </button>
          </div>
        ) : null}
        {noTraces ? <SendTracesHelp title="No traces in this time range" /> : null}
      </>
    );
  }

  return (
    <div className="projects-page">
      <div className="projects-toolbar">
        <h1>Projects</h1>
        <NameFilter value={name} onChange={setName} />
        <TimeRangePicker />
      </div>
      {body}
    </div>
  );
}
