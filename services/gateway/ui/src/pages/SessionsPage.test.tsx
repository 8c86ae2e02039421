// The sessions list behaves as the traces and spans lists do: it says it is live on its first
// page, pages with the server's cursors, and says a later page holds still. The network is the
// browser's `fetch`, answering as the gateway would; the page reads through the real client.
import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { createMemoryRouter, RouterProvider } from "react-router";
import { afterEach, beforeEach, expect, test, vi } from "vitest";

import { createQueryClient } from "../api/hooks";
import SessionsPage from "./SessionsPage";

const fetchMock = vi.fn<typeof fetch>();

beforeEach(() => {
  fetchMock.mockReset();
  vi.stubGlobal("fetch", fetchMock);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function session(sessionId: string) {
  return {
    cursor: `cursor-${sessionId}`,
    node: {
      id: `Session:${sessionId}`,
      sessionId,
      startTime: "2025-01-01T12:00:00Z",
      endTime: "2025-01-01T12:00:02Z",
      traceCount: 2,
      tokenCountTotal: 300,
      costTotal: 0.0012,
      annotationSummaries: [],
    },
  };
}

/** The gateway's answer to the sessions query: page 1 (no `after`) or page 2. */
function answer(init?: RequestInit): Response {
  const body = JSON.parse(init?.body as string) as { variables: { after?: string | null } };
  const firstPage = body.variables.after == null;
  const edges = firstPage ? [session("chat-1"), session("chat-2")] : [session("chat-3")];
  const data = {
    project: {
      id: "Project:1",
      sessions: {
        edges,
        pageInfo: { hasNextPage: firstPage, endCursor: edges.at(-1)?.cursor ?? null },
      },
    },
  };
  return new Response(JSON.stringify({ data }), {
    headers: { "Content-Type": "application/json" },
  });
}

function renderSessions() {
  const router = createMemoryRouter(
    [{ path: "/projects/:projectName/sessions", element: <SessionsPage /> }],
    { initialEntries: ["/projects/shop/sessions"] },
  );
  render(
    <QueryClientProvider client={createQueryClient()}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
}

const rowIds = () =>
  screen.getAllByTestId("session-row").map((row) => within(row).getByRole("link").textContent);

test("the first page of sessions is live; the next one is read after its cursor and holds still", async () => {
  fetchMock.mockImplementation((_url, init) => Promise.resolve(answer(init)));
  renderSessions();

  expect(await screen.findAllByTestId("session-row")).toHaveLength(2);
  expect(rowIds()).toEqual(["chat-1", "chat-2"]);
  expect(screen.getByTestId("live-status")).toHaveTextContent(
    "Live: new sessions appear as they arrive",
  );

  await userEvent.click(screen.getByRole("button", { name: "Next" }));

  expect(await screen.findByText("chat-3")).toBeInTheDocument();
  expect(rowIds()).toEqual(["chat-3"]);
  expect(screen.getByTestId("page-number")).toHaveTextContent("Page 2");
  expect(screen.getByTestId("live-status")).toHaveTextContent(
    "Not updating on page 2: go back to page 1 for new sessions",
  );
  const lastRequest = JSON.parse(fetchMock.mock.lastCall?.[1]?.body as string) as {
    variables: { after: string; first: number };
  };
  expect(lastRequest.variables).toMatchObject({ after: "cursor-chat-2", first: 50 });

  await userEvent.click(screen.getByRole("button", { name: "Previous" }));

  expect(await screen.findByText("chat-1")).toBeInTheDocument();
  expect(screen.getByTestId("live-status")).toHaveTextContent("Live: new sessions appear");
});
