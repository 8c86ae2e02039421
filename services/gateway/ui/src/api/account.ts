// Who is using the UI, and the calls that change it: `GET /v1/user` (the viewer), login, logout,
// the user's own username and password, and a password reset with a one-time link.
//
// With auth off `GET /v1/user` answers `{"auth_method": "ANONYMOUS"}`: the UI then shows no login
// or user interface at all and every control, as it always did. The viewer is read once when the
// app starts (`prefetchViewer`) and kept until a login, a logout or a change of one's own account.
import { useQuery } from "@tanstack/react-query";
import type { QueryClient } from "@tanstack/react-query";

import { reportUpstream } from "../lib/upstream";
import { UpstreamError } from "./graphql";
import { ApiError, errorOf, jsonRequest, restJson, send } from "./rest";

export type Role = "SYSTEM" | "ADMIN" | "MEMBER" | "VIEWER";

/** A user as the API shows one (Phoenix's LocalUser). */
export interface User {
  id: string;
  email: string;
  username: string;
  role: Role;
  auth_method: string;
  password_needs_reset: boolean;
  created_at: string;
  updated_at: string;
}

/** Who is looking: auth is off (`anonymous`: anyone may do anything), a signed-in `user`, or
 * `unknown` while the API can't be reached to ask. */
export type Viewer =
  | { kind: "anonymous" }
  | { kind: "user"; user: User }
  | { kind: "unknown" };

export const VIEWER_KEY = ["viewer"] as const;

/** `GET /v1/user`: the viewer. Throws `ApiError` 401 when nobody is signed in (after the session
 * could not be renewed: the app is already on its way to the login page). */
export async function fetchViewer(signal?: AbortSignal): Promise<Viewer> {
  try {
    const { data } = await restJson<{ data: User | { auth_method: "ANONYMOUS" } }>(
      "GET",
      "/v1/user",
      undefined,
      signal,
    );
    if (data.auth_method === "ANONYMOUS") return { kind: "anonymous" };
    return { kind: "user", user: data as User };
  } catch (error) {
    if (error instanceof UpstreamError) reportUpstream(error.message);
    throw error;
  }
}

const viewerQuery = {
  queryKey: VIEWER_KEY,
  queryFn: ({ signal }: { signal: AbortSignal }) => fetchViewer(signal),
  staleTime: Infinity,
  // An outage is asked again (the banner says what is wrong); a refusal is an answer.
  retry: (failures: number, error: Error) =>
    !(error instanceof ApiError && error.status < 500) && failures < 3,
};

/** Starts reading the viewer before the first page's code has loaded. */
export function prefetchViewer(client: QueryClient): void {
  client.prefetchQuery(viewerQuery).catch(() => undefined);
}

/** The viewer, read once; asked again every 5 s while the API can't be reached. */
export function useViewerQuery() {
  return useQuery({
    ...viewerQuery,
    refetchInterval: (query) =>
      query.state.error && !(query.state.error instanceof ApiError) ? 5_000 : false,
  });
}

/** A refusal of the login form: the API's words, and how long to wait after too many tries. */
export class LoginError extends Error {
  readonly status: number;
  readonly retryAfterSeconds: number | null;

  constructor(message: string, status: number, retryAfterSeconds: number | null) {
    super(message);
    this.name = "LoginError";
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** `POST /auth/login` with an email or a username: the session's cookies are set on success. */
export async function logIn(login: string, password: string): Promise<void> {
  const response = await send("/auth/login", jsonRequest("POST", { email: login, password }));
  if (response.ok) return;
  const retryAfter = Number(response.headers.get("Retry-After"));
  const error = await errorOf(response);
  if (error instanceof UpstreamError) throw error;
  throw new LoginError(
    error.message,
    response.status,
    Number.isFinite(retryAfter) && retryAfter > 0 ? Math.ceil(retryAfter) : null,
  );
}

/** The sentence shown for a refused login: the API's, with how long to wait after too many
 * attempts when the API's words don't say it already. */
export function loginProblem(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (
    error instanceof LoginError &&
    error.status === 429 &&
    error.retryAfterSeconds !== null &&
    !/try again/i.test(error.message)
  ) {
    return `${error.message} Try again in ${error.retryAfterSeconds} s.`;
  }
  return error.message;
}

/** `POST /auth/logout`: the session ends on the server and its cookies are cleared. */
export async function logOut(): Promise<void> {
  await restJson<null>("POST", "/auth/logout");
}

/** What a user may change of their own account (a password change needs the current one). */
export interface OwnAccountChange {
  username?: string;
  current_password?: string;
  new_password?: string;
}

/** `PATCH /v1/user`: the viewer's own username or password. */
export async function changeOwnAccount(change: OwnAccountChange): Promise<void> {
  await restJson<unknown>("PATCH", "/v1/user", change);
}

/** `POST /auth/password-reset`: a new password set with the token of a reset link. */
export async function resetPassword(token: string, password: string): Promise<void> {
  await restJson<null>("POST", "/auth/password-reset", { token, password });
}
