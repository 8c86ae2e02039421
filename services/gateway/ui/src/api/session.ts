// The browser's session, when auth is on: every request of the UI (REST, GraphQL, the upload)
// goes through `fetchWithSession`, the one place that knows what a 401 means.
//
// The access cookie lives for minutes, the refresh cookie for days. A 401 to any API request is
// taken as an access token that ran out: `POST /auth/refresh` once (one refresh in flight for
// every request that failed together), then the request again. Only when the refresh is refused
// too is the session over: the app is told (`onSessionEnded`) and shows the login page, with the
// address the user was on kept as `?returnTo=`. The `/auth/*` routes are left alone: their 401 is
// their answer (a wrong password, a used reset link).
//
// With auth off no 401 ever comes, so none of this runs.

/** The paths whose answer is never an expired session. */
const AUTH_PREFIXES = ["/auth/", "/oauth2/"];

/** The pages shown without a session: a session that ends while one is open sends nowhere. */
export const PUBLIC_PAGES = ["/login", "/reset-password-with-token"];

type SessionEndedHandler = (returnTo: string) => void;

let sessionEnded: SessionEndedHandler = (returnTo) => window.location.assign(loginPath(returnTo));
let refreshing: Promise<boolean> | null = null;
/** Counts the refreshes that succeeded: a request sent before the last one finished may retry
 * with the new cookie at once, without a refresh of its own. */
let refreshes = 0;

/** Sets what happens when the session can't be renewed (the app navigates to the login page). */
export function onSessionEnded(handler: SessionEndedHandler): void {
  sessionEnded = handler;
}

/** The login page, to come back to `returnTo` after. */
export function loginPath(returnTo?: string): string {
  const target = safeReturnTo(returnTo ?? null);
  return target === "/" ? "/login" : `/login?returnTo=${encodeURIComponent(target)}`;
}

/** `returnTo` if it is an address of this UI (a path of this origin, not a login page), else
 * "/": a link to the login page must not send a user elsewhere after they sign in. */
export function safeReturnTo(returnTo: string | null): string {
  if (!returnTo || !returnTo.startsWith("/") || returnTo.startsWith("//")) return "/";
  if (returnTo.startsWith("/\\")) return "/";
  const path = returnTo.split(/[?#]/, 1)[0];
  if (PUBLIC_PAGES.includes(path) || path === "/change-password") return "/";
  return returnTo;
}

/** The address shown now, to return to after signing in again. */
function currentAddress(): string {
  const { pathname, search, hash } = window.location;
  return `${pathname}${search}${hash}`;
}

function isAuthRoute(path: string): boolean {
  const pathname = path.startsWith("/") ? path : new URL(path).pathname;
  return AUTH_PREFIXES.some((prefix) => pathname.startsWith(prefix));
}

/** Renews the access cookie with the refresh cookie; whether it was renewed. Requests that fail
 * together share one refresh. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const response = await fetch("/auth/refresh", { method: "POST" });
      if (response.ok) refreshes += 1;
      return response.ok;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Tells the app the session is over, unless a page that needs none is on screen. */
export function endSession(): void {
  if (PUBLIC_PAGES.includes(window.location.pathname)) return;
  sessionEnded(currentAddress());
}

/** After a 401 to a request sent when `refreshesBefore` refreshes had succeeded: whether to send
 * it again (the session was renewed), or the session is over (the app has been told). */
export async function recoverFromUnauthorized(refreshesBefore: number): Promise<boolean> {
  if (refreshes !== refreshesBefore || (await refreshSession())) return true;
  endSession();
  return false;
}

/** How many refreshes have succeeded (see `recoverFromUnauthorized`). */
export function refreshCount(): number {
  return refreshes;
}

/** `fetch`, with an expired session renewed and the request sent once more. A 401 that stays
 * (no session to renew, or the retry refused too) is returned as it came, after the app has been
 * told the session is over; an `/auth/*` answer is always returned as it came. */
export async function fetchWithSession(path: string, init: RequestInit = {}): Promise<Response> {
  const before = refreshes;
  const response = await fetch(path, init);
  if (response.status !== 401 || isAuthRoute(path)) return response;
  if (!(await recoverFromUnauthorized(before))) return response;
  const retried = await fetch(path, init);
  if (retried.status === 401) endSession();
  return retried;
}
