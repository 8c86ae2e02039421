// Every page but the login and reset pages opens through this gate: it reads the viewer
// (`GET /v1/user`) and gives it to the pages (`ViewerContext`). A user whose password must be
// changed (the default admin's first login, a password an admin set) goes to the change form
// before anything else. With nobody signed in, the session module is already on its way to the
// login page. With the API unreachable the pages open anyway, under the outage banner, and the
// controls that need a role appear once the API answers.
import { Navigate, Outlet, useLocation } from "react-router";

import { useViewerQuery } from "../../api/account";
import type { Viewer } from "../../api/account";
import { ApiError } from "../../api/rest";
import { ErrorState, Loading } from "../States";
import { ViewerContext } from "./viewer";

export const CHANGE_PASSWORD_PATH = "/change-password";

export function ViewerGate() {
  const query = useViewerQuery();
  const location = useLocation();
  if (query.isPending) return <Loading />;
  const viewer: Viewer = query.data ?? { kind: "unknown" };
  if (!query.data && query.error instanceof ApiError) {
    if (query.error.status === 401) return <Loading label="Opening the login page…" />;
    return <ErrorState error={query.error} title="Spyglass can't tell who you are" />;
  }
  if (
    viewer.kind === "user" &&
    viewer.user.password_needs_reset &&
    location.pathname !== CHANGE_PASSWORD_PATH
  ) {
    const returnTo = `${location.pathname}${location.search}${location.hash}`;
    return (
      <Navigate to={`${CHANGE_PASSWORD_PATH}?returnTo=${encodeURIComponent(returnTo)}`} replace />
    );
  }
  return (
    <ViewerContext value={viewer}>
      <Outlet />
    </ViewerContext>
  );
}
