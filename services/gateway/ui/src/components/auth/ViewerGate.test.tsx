// The gate reads who is looking (`GET /v1/user`) before the page opens and hands it to the
// controls: a viewer sees no write control, a member does, and with auth off every control is
// there as before, with no user interface. A user whose password must change goes to that form
// first. The network is the browser's `fetch`, answering as the gateway would.
import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { afterEach, beforeEach, expect, test, vi } from "vitest";

import type { Role } from "../../api/account";
import { createQueryClient } from "../../api/hooks";
import { UserMenu } from "./UserMenu";
import { CanWrite } from "./viewer";
import { ViewerGate } from "./ViewerGate";

const fetchMock = vi.fn<typeof fetch>();

beforeEach(() => {
  fetchMock.mockReset();
  vi.stubGlobal("fetch", fetchMock);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function answerViewer(data: unknown) {
  fetchMock.mockImplementation(() =>
    Promise.resolve(
      new Response(JSON.stringify({ data }), { headers: { "Content-Type": "application/json" } }),
    ),
  );
}

function user(role: Role, passwordNeedsReset = false) {
  return {
    id: "VXNlcjoy",
    email: "ada@example.com",
    username: "ada",
    role,
    auth_method: "LOCAL",
    password_needs_reset: passwordNeedsReset,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
  };
}

function DatasetsStandIn() {
  return (
    <div>
      <h1>Datasets</h1>
      <UserMenu />
      <CanWrite>
        <button type="button">Upload dataset</button>
      </CanWrite>
    </div>
  );
}

function renderGate(path = "/datasets") {
  const router = createMemoryRouter(
    [
      {
        element: <ViewerGate />,
        children: [
          { path: "/datasets", element: <DatasetsStandIn /> },
          { path: "/change-password", element: <h1>Choose a new password</h1> },
        ],
      },
    ],
    { initialEntries: [path] },
  );
  render(
    <QueryClientProvider client={createQueryClient()}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return router;
}

test("a viewer sees the page and their name, but no control to change it", async () => {
  answerViewer(user("VIEWER"));
  renderGate();

  expect(await screen.findByRole("heading", { name: "Datasets" })).toBeVisible();
  expect(screen.getByTestId("current-user")).toHaveTextContent("ada Viewer");
  expect(screen.queryByRole("button", { name: "Upload dataset" })).toBeNull();
  expect(screen.queryByRole("link", { name: "Users" })).toBeNull();
  expect(screen.getByRole("link", { name: "API keys" })).toBeVisible();
});

test("a member sees the write controls, an admin the Users settings too", async () => {
  answerViewer(user("MEMBER"));
  renderGate();
  expect(await screen.findByRole("button", { name: "Upload dataset" })).toBeVisible();
  expect(screen.queryByRole("link", { name: "Users" })).toBeNull();
});

test("an admin sees the Users settings", async () => {
  answerViewer(user("ADMIN"));
  renderGate();
  expect(await screen.findByRole("link", { name: "Users" })).toBeVisible();
  expect(screen.getByRole("button", { name: "Log out" })).toBeVisible();
});

test("with auth off every control is there and no user interface", async () => {
  answerViewer({ auth_method: "ANONYMOUS" });
  renderGate();

  expect(await screen.findByRole("button", { name: "Upload dataset" })).toBeVisible();
  expect(screen.queryByTestId("user-menu")).toBeNull();
  expect(screen.queryByRole("button", { name: "Log out" })).toBeNull();
});

test("a password that must change is changed before anything else", async () => {
  answerViewer(user("ADMIN", true));
  const router = renderGate("/datasets?name=qa");

  expect(await screen.findByRole("heading", { name: "Choose a new password" })).toBeVisible();
  expect(router.state.location.pathname).toBe("/change-password");
  expect(new URLSearchParams(router.state.location.search).get("returnTo")).toBe(
    "/datasets?name=qa",
  );
});
