// A refused login reads as the API words it: the same sentence for a wrong password and an
// unknown user, and after too many attempts how long to wait (from Retry-After when the words
// don't say it). The network is the browser's `fetch`, answering as the gateway would.
import { afterEach, beforeEach, expect, test, vi } from "vitest";

import { LoginError, logIn, loginProblem } from "./account";

const fetchMock = vi.fn<typeof fetch>();

beforeEach(() => {
  fetchMock.mockReset();
  vi.stubGlobal("fetch", fetchMock);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

async function refusal(): Promise<unknown> {
  try {
    await logIn("ada@example.com", "wrong");
  } catch (error) {
    return error;
  }
  throw new Error("the login was not refused");
}

test("a wrong password is the API's 401 in its words, and sends the login as `email`", async () => {
  fetchMock.mockResolvedValue(
    new Response(JSON.stringify({ status_code: 401, detail: "Invalid email and/or password" }), {
      status: 401,
      headers: { "Content-Type": "application/json" },
    }),
  );

  const error = await refusal();

  expect(error).toBeInstanceOf(LoginError);
  expect(loginProblem(error)).toBe("Invalid email and/or password");
  const [path, init] = fetchMock.mock.calls[0];
  expect(path).toBe("/auth/login");
  expect(JSON.parse(init?.body as string)).toEqual({
    email: "ada@example.com",
    password: "wrong",
  });
  // A refused login is not an expired session: nothing else was asked.
  expect(fetchMock).toHaveBeenCalledTimes(1);
});

test("too many attempts say how long to wait", async () => {
  fetchMock.mockResolvedValue(
    new Response("Too many failed logins", { status: 429, headers: { "Retry-After": "42" } }),
  );
  expect(loginProblem(await refusal())).toBe("Too many failed logins Try again in 42 s.");

  fetchMock.mockResolvedValue(
    new Response(
      JSON.stringify({ detail: "Too many failed logins: try again in 42 seconds" }),
      { status: 429, headers: { "Retry-After": "42", "Content-Type": "application/json" } },
    ),
  );
  expect(loginProblem(await refusal())).toBe("Too many failed logins: try again in 42 seconds");
});
