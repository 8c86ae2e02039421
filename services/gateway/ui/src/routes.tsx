// Every address of the UI. Each page is its own chunk, which the router loads before it shows the
// page (route `lazy`, not React's: a Suspense fallback would hold the page back by React's 300 ms
// reveal throttle, and its reads would start only once it is on screen). The trace page's reads
// start in its loader, beside its chunk. Deep links: `/traces/<OTel trace id>?span=<span id>` and
// `/spans/<span id>` work from anywhere (the gateway answers index.html for them). A dataset's
// tabs are children of `/datasets/<id>` (Experiments first); an example opens beside the list at
// `/datasets/<id>/examples/<example id>`, the version, split and search kept in the query.
// `/prompts/<id>` is a prompt's versions; `/playground` takes `?promptVersionId=`, `?spanId=`
// and `?datasetId=` to open with a stored version, a replayed LLM span or a dataset to run over.
// `/evaluators` is the evaluator library, `/evaluators/new` its form, `/evaluators/<id>` one
// evaluator's versions; a dataset's attached evaluators are its tab `/datasets/<id>/evaluators`.
// A project's online evaluation rules are `/projects/<name>/evaluations`, with `/new`,
// `/<rule id>` (its figures and jobs) and `/<rule id>/edit`.
//
// Signing in: `/login?returnTo=<path>` and `/reset-password-with-token?token=...` open without a
// session and without the app's frame. Every other page opens through `ViewerGate`, which reads
// who is looking (`GET /v1/user`) and sends a user whose password must change to
// `/change-password` first. `/settings/users` (admins), `/settings/api-keys` and `/profile` are
// the signed-in user's settings; with auth off nothing links to them.
import type { QueryClient } from "@tanstack/react-query";
import type { ComponentType } from "react";
import { createBrowserRouter, Navigate, Outlet, useParams } from "react-router";
import type { RouteObject } from "react-router";

import { ViewerGate } from "./components/auth/ViewerGate";
import { Layout } from "./components/Layout";
import { Loading } from "./components/States";
import { prefetchTrace } from "./components/trace/traceQueries";
import { NotFoundPage } from "./pages/NotFoundPage";

function page(load: () => Promise<{ default: ComponentType }>): RouteObject["lazy"] {
  return async () => ({ Component: (await load()).default });
}

function ProjectHome() {
  const { projectName = "" } = useParams();
  return <Navigate to={`/projects/${encodeURIComponent(projectName)}/traces`} replace />;
}

export function createRoutes(queryClient: QueryClient): RouteObject[] {
  return [
    {
      element: <Outlet />,
      HydrateFallback: () => <Loading />,
      children: [
        { path: "/login", lazy: page(() => import("./pages/LoginPage")) },
        {
          path: "/reset-password-with-token",
          lazy: page(() => import("./pages/ResetPasswordPage")),
        },
        {
          element: <ViewerGate />,
          children: [
            {
              path: "/change-password",
              lazy: page(() => import("./pages/ChangePasswordPage")),
            },
            { element: <Layout />, children: appRoutes(queryClient) },
          ],
        },
      ],
    },
  ];
}

/** The pages inside the app's frame. */
function appRoutes(queryClient: QueryClient): RouteObject[] {
  return [
    { path: "/", lazy: page(() => import("./pages/ProjectsPage")) },
    { path: "/projects/:projectName", element: <ProjectHome /> },
    { path: "/projects/:projectName/traces", lazy: page(() => import("./pages/TracesPage")) },
    { path: "/projects/:projectName/spans", lazy: page(() => import("./pages/SpansPage")) },
    {
      path: "/projects/:projectName/sessions",
      lazy: page(() => import("./pages/SessionsPage")),
    },
    {
      path: "/projects/:projectName/sessions/:sessionId",
      lazy: page(() => import("./pages/SessionPage")),
    },
    {
      path: "/projects/:projectName/metrics",
      lazy: page(() => import("./pages/MetricsPage")),
    },
    {
      path: "/projects/:projectName/config",
      lazy: page(() => import("./pages/ProjectConfigPage")),
    },
    {
      path: "/projects/:projectName/evaluations",
      lazy: page(() => import("./pages/EvaluationRulesPage")),
    },
    {
      path: "/projects/:projectName/evaluations/new",
      lazy: page(() => import("./pages/EvaluationRuleFormPage")),
    },
    {
      path: "/projects/:projectName/evaluations/:ruleId",
      lazy: page(() => import("./pages/EvaluationRulePage")),
    },
    {
      path: "/projects/:projectName/evaluations/:ruleId/edit",
      lazy: page(() => import("./pages/EvaluationRuleFormPage")),
    },
    {
      path: "/traces/:traceId",
      loader: ({ params, request }) => {
        const spanId = new URL(request.url).searchParams.get("span");
        prefetchTrace(queryClient, params.traceId ?? "", spanId);
        return null;
      },
      lazy: page(() => import("./pages/TracePage")),
    },
    { path: "/spans/:spanId", lazy: page(() => import("./pages/SpanRedirectPage")) },
    { path: "/datasets", lazy: page(() => import("./pages/DatasetsPage")) },
    {
      path: "/datasets/:datasetId",
      lazy: page(() => import("./pages/DatasetPage")),
      children: [
        { index: true, element: <Navigate to="experiments" replace /> },
        {
          path: "experiments",
          lazy: page(() => import("./pages/DatasetExperimentsPage")),
        },
        {
          path: "experiments/:experimentId",
          lazy: page(() => import("./pages/ExperimentRunsPage")),
        },
        { path: "compare", lazy: page(() => import("./pages/ExperimentComparePage")) },
        {
          path: "examples",
          lazy: page(() => import("./pages/DatasetExamplesPage")),
          children: [
            { path: ":exampleId", lazy: page(() => import("./pages/DatasetExamplePanel")) },
          ],
        },
        { path: "versions", lazy: page(() => import("./pages/DatasetVersionsPage")) },
        { path: "evaluators", lazy: page(() => import("./pages/DatasetEvaluatorsPage")) },
      ],
    },
    { path: "/prompts", lazy: page(() => import("./pages/PromptsPage")) },
    { path: "/prompts/:promptId", lazy: page(() => import("./pages/PromptPage")) },
    { path: "/playground", lazy: page(() => import("./pages/PlaygroundPage")) },
    { path: "/evaluators", lazy: page(() => import("./pages/EvaluatorsPage")) },
    { path: "/evaluators/new", lazy: page(() => import("./pages/NewEvaluatorPage")) },
    { path: "/evaluators/:evaluatorId", lazy: page(() => import("./pages/EvaluatorPage")) },
    { path: "/settings/users", lazy: page(() => import("./pages/UsersPage")) },
    { path: "/settings/api-keys", lazy: page(() => import("./pages/ApiKeysPage")) },
    { path: "/profile", lazy: page(() => import("./pages/ProfilePage")) },
    { path: "*", element: <NotFoundPage /> },
  ];
}

export function createRouter(queryClient: QueryClient) {
  return createBrowserRouter(createRoutes(queryClient));
}
