// Every address of the UI. Each page is its own chunk, loaded when first visited. Deep links:
// `/traces/<OTel trace id>?span=<span id>` and `/spans/<span id>` work from anywhere (the gateway
// answers index.html for them).
import { lazy, Suspense } from "react";
import type { ComponentType } from "react";
import { createBrowserRouter, Navigate, useParams } from "react-router";

import { Layout } from "./components/Layout";
import { Loading } from "./components/States";
import { NotFoundPage } from "./pages/NotFoundPage";

function page(load: () => Promise<{ default: ComponentType }>) {
  const Page = lazy(load);
  return (
    <Suspense fallback={<Loading />}>
      <Page />
    </Suspense>
  );
}

function ProjectHome() {
  const { projectName = "" } = useParams();
  return <Navigate to={`/projects/${encodeURIComponent(projectName)}/traces`} replace />;
}

export const routes = [
  {
    element: <Layout />,
    children: [
      { path: "/", element: page(() => import("./pages/ProjectsPage")) },
      { path: "/projects/:projectName", element: <ProjectHome /> },
      { path: "/projects/:projectName/traces", element: page(() => import("./pages/TracesPage")) },
      { path: "/projects/:projectName/spans", element: page(() => import("./pages/SpansPage")) },
      {
        path: "/projects/:projectName/sessions",
        element: page(() => import("./pages/SessionsPage")),
      },
      {
        path: "/projects/:projectName/sessions/:sessionId",
        element: page(() => import("./pages/SessionPage")),
      },
      {
        path: "/projects/:projectName/metrics",
        element: page(() => import("./pages/MetricsPage")),
      },
      { path: "/traces/:traceId", element: page(() => import("./pages/TracePage")) },
      { path: "/spans/:spanId", element: page(() => import("./pages/SpanRedirectPage")) },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
];

export function createRouter() {
  return createBrowserRouter(routes);
}
