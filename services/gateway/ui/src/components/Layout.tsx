// The frame of every page: the header (with the signed-in user, when auth is on), the upstream
// banner, and the page. While the router fetches the next page's code, the page on screen stays
// and a bar under the header moves.
import { Link, NavLink, Outlet, useNavigation, useParams } from "react-router";

import { useUpstreamProblem } from "../lib/upstream";
import { UserMenu } from "./auth/UserMenu";

export function Layout() {
  const problem = useUpstreamProblem();
  const navigating = useNavigation().state !== "idle";
  return (
    <div className="app" aria-busy={navigating}>
      <header className="app-header" data-testid="app-header">
        <Link to="/" className="brand">
          Spyglass
        </Link>
        <nav className="app-nav">
          <NavLink to="/" end>
            Projects
          </NavLink>
          <NavLink to="/datasets">Datasets</NavLink>
          <NavLink to="/prompts">Prompts</NavLink>
          <NavLink to="/playground">Playground</NavLink>
          <NavLink to="/evaluators">Evaluators</NavLink>
        </nav>
        <UserMenu />
      </header>
      {navigating ? (
        <div className="navigation-progress" role="progressbar" aria-label="Opening the page" />
      ) : null}
      {problem ? (
        <div className="banner banner-error" role="alert" data-testid="upstream-banner">
          {problem} Retrying…
        </div>
      ) : null}
      <main className="app-main">
        <Outlet />
      </main>
    </div>
  );
}

/** The project's name and its tabs, above each of its pages. */
export function ProjectHeader({ actions }: { actions?: React.ReactNode }) {
  const { projectName = "" } = useParams();
  const base = `/projects/${encodeURIComponent(projectName)}`;
  return (
    <div className="project-header">
      <div className="project-title">
        <Link to="/">Projects</Link> / <h1>{projectName}</h1>
      </div>
      <nav className="tabs" aria-label="Project">
        <NavLink to={`${base}/traces`}>Traces</NavLink>
        <NavLink to={`${base}/spans`}>Spans</NavLink>
        <NavLink to={`${base}/sessions`}>Sessions</NavLink>
        <NavLink to={`${base}/metrics`}>Metrics</NavLink>
        <NavLink to={`${base}/evaluations`}>Evaluations</NavLink>
        <NavLink to={`${base}/config`}>Settings</NavLink>
      </nav>
      {actions ? <div className="project-actions">{actions}</div> : null}
    </div>
  );
}
