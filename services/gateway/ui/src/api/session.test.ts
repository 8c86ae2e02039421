// An expired session is renewed in one place: a 401 to any request of the UI is followed by one
// `POST /auth/refresh` (shared by the requests that failed together) and the request again; only
// when the refresh is refused does the app hear that the session is over, with the address to
// come back to. The gateway here is a fake with the two cookies' states.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";

import { TraceDetailQuery } from "../components/trace/traceQueries";
import { GraphQLRequestError, request } from "./graphql";
import { ApiError, restJson } from "./rest";
import { fetchWithSession, loginPath, onSessionEnded, safeReturnTo } from "./session";

/** The gateway's side of the session: whether the access and refresh cookies are good. */
interface FakeGateway {
  access: boolean;
  refresh: boolean;
  /** Refreshes renew the refresh cookie but never the access one (its user was deleted). */
  refreshGivesNoAccess: boolean;
  calls: string[];
}

let gateway: FakeGateway;
const ended = vi.fn<(returnTo: string) => void>();
const fetchMock = vi.fn<typeof fetch>();

function answer(status: number, body: unknown = null): Response {
  return new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

function gatewayAnswer(path: string): Response {
  gateway.calls.push(path);
  if (path === "/auth/refresh") {
    if (!gateway.refresh) return answer(401, { detail: "Invalid refresh token" });
    if (!gateway.refreshGivesNoAccess) gateway.access = true;
    return answer(204);
  }
  if (path === "/auth/login") return answer(401, { detail: "Invalid email and/or password" });
  if (!gateway.access) return answer(401, { detail: "Authentication required: log in" });
  if (path === "/graphql") return answer(200, { data: { trace: null } });
  return answer(200, { data: { path } });
}

beforeEach(() => {
  gateway = { access: false, refresh: true, refreshGivesNoAccess: false, calls: [] };
  ended.mockReset();
  onSessionEnded(ended);
  fetchMock.mockReset();
  fetchMock.mockImplementation((input) => Promise.resolve(gatewayAnswer(input as string)));
  vi.stubGlobal("fetch", fetchMock);
  window.history.replaceState(null, "", "/projects/shop/traces?filter=x#top");
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("an expired access token", () => {
  test("is refreshed once and the request sent again, the caller never seeing the 401", async () => {
    const data = await restJson<{ data: { path: string } }>("GET", "/v1/projects");

    expect(data.data.path).toBe("/v1/projects");
    expect(gateway.calls).toEqual(["/v1/projects", "/auth/refresh", "/v1/projects"]);
    expect(ended).not.toHaveBeenCalled();
  });

  test("a GraphQL read is renewed the same way", async () => {
    const data = await request(TraceDetailQuery, { traceId: "a".repeat(32) });

    expect(data).toEqual({ trace: null });
    expect(gateway.calls).toEqual(["/graphql", "/auth/refresh", "/graphql"]);
  });

  test("requests that fail together share one refresh, and each is sent again once", async () => {
    const paths = ["/v1/a", "/v1/b", "/v1/c"];
    const answers = await Promise.all(paths.map((path) => fetchWithSession(path)));

    expect(answers.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(gateway.calls.filter((path) => path === "/auth/refresh")).toHaveLength(1);
    for (const path of paths) {
      expect(gateway.calls.filter((called) => called === path)).toHaveLength(2);
    }
  });

  test("a 401 to a request sent before another's refresh finished is retried without one", async () => {
    let answerLate: (response: Response) => void = () => undefined;
    fetchMock.mockImplementation((input) => {
      const path = input as string;
      if (path === "/v1/late" && !gateway.calls.includes("/v1/late")) {
        gateway.calls.push(path);
        // Sent with the old cookie: its 401 comes after the other request's refresh.
        return new Promise((resolve) => {
          answerLate = resolve;
        });
      }
      return Promise.resolve(gatewayAnswer(path));
    });
    const late = fetchWithSession("/v1/late");
    await fetchWithSession("/v1/early");
    answerLate(answer(401, { detail: "Authentication required" }));

    expect((await late).status).toBe(200);
    expect(gateway.calls.filter((path) => path === "/auth/refresh")).toHaveLength(1);
  });
});

describe("a session that can't be renewed", () => {
  test("ends: the app is told where the user was, and the caller gets the 401", async () => {
    gateway.refresh = false;

    const refused = restJson("GET", "/v1/projects");

    await expect(refused).rejects.toSatisfy(
      (error) => error instanceof ApiError && error.status === 401,
    );
    expect(ended).toHaveBeenCalledTimes(1);
    expect(ended).toHaveBeenCalledWith("/projects/shop/traces?filter=x#top");
    expect(gateway.calls).toEqual(["/v1/projects", "/auth/refresh"]);
  });

  test("a GraphQL read says the session has ended", async () => {
    gateway.refresh = false;

    const refused = request(TraceDetailQuery, { traceId: "a".repeat(32) });

    await expect(refused).rejects.toSatisfy(
      (error) => error instanceof GraphQLRequestError && error.code === "UNAUTHENTICATED",
    );
    expect(ended).toHaveBeenCalledWith("/projects/shop/traces?filter=x#top");
  });

  test("ends when the request is refused again after a refresh (the user was deleted)", async () => {
    gateway.refreshGivesNoAccess = true;

    const response = await fetchWithSession("/v1/user");

    expect(response.status).toBe(401);
    expect(gateway.calls).toEqual(["/v1/user", "/auth/refresh", "/v1/user"]);
    expect(ended).toHaveBeenCalledTimes(1);
  });

  test("sends nowhere while the login page is open", async () => {
    gateway.refresh = false;
    window.history.replaceState(null, "", "/login?returnTo=%2Fdatasets");

    const response = await fetchWithSession("/v1/user");

    expect(response.status).toBe(401);
    expect(ended).not.toHaveBeenCalled();
  });
});

test("a refused login is the answer itself: no refresh, no end of session", async () => {
  const response = await fetchWithSession("/auth/login", { method: "POST", body: "{}" });

  expect(response.status).toBe(401);
  expect(gateway.calls).toEqual(["/auth/login"]);
  expect(ended).not.toHaveBeenCalled();
});

test("with auth off nothing is ever refreshed", async () => {
  gateway.access = true;

  await restJson("GET", "/v1/user");
  await request(TraceDetailQuery, { traceId: "b".repeat(32) });

  expect(gateway.calls).toEqual(["/v1/user", "/graphql"]);
});

describe("the address to return to", () => {
  test("is kept when it is a page of this UI", () => {
    expect(safeReturnTo("/datasets/RGF0YXNldDox/examples?split=a")).toBe(
      "/datasets/RGF0YXNldDox/examples?split=a",
    );
    expect(loginPath("/prompts")).toBe("/login?returnTo=%2Fprompts");
    expect(loginPath("/")).toBe("/login");
  });

  test("is the home page when it would lead elsewhere or back to a login page", () => {
    for (const elsewhere of [
      null,
      "",
      "https://evil.example/",
      "//evil.example/x",
      "/\\evil.example",
      "javascript:alert(1)",
      "/login?returnTo=/x",
      "/reset-password-with-token?token=t",
      "/change-password",
    ]) {
      expect(safeReturnTo(elsewhere)).toBe("/");
    }
  });
});
