// What a route's loader starts: the page's reads, once. Loaders run again at every change of the
// address (each span selected on the trace page), so an answer already read must not be read
// again, or every click would fetch a large trace's outline anew.
import { afterEach, beforeEach, expect, test, vi } from "vitest";

import { TraceDetailQuery } from "../components/trace/traceQueries";
import { createQueryClient, prefetchGraphQL } from "./hooks";

const answer = () =>
  new Response(JSON.stringify({ data: { trace: null } }), {
    headers: { "Content-Type": "application/json" },
  });

// The network at the edge of the app: the browser's `fetch`, answering as the gateway would.
const fetchMock = vi.fn<typeof fetch>();

beforeEach(() => {
  fetchMock.mockReset();
  vi.stubGlobal("fetch", fetchMock);
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

test("a prefetched answer is read once, and not again when the loader runs later", async () => {
  fetchMock.mockImplementation(() => Promise.resolve(answer()));
  const client = createQueryClient();
  const variables = { traceId: "a".repeat(32) };

  prefetchGraphQL(client, TraceDetailQuery, variables);
  prefetchGraphQL(client, TraceDetailQuery, variables);
  await vi.waitFor(() => expect(client.isFetching()).toBe(0));
  expect(fetchMock).toHaveBeenCalledTimes(1);

  // A minute on, the answer is stale; the loader runs again (another span selected).
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + 60_000);
  prefetchGraphQL(client, TraceDetailQuery, variables);
  await vi.waitFor(() => expect(client.isFetching()).toBe(0));

  expect(fetchMock).toHaveBeenCalledTimes(1);
  const sent = fetchMock.mock.calls[0][1]?.body;
  expect(typeof sent).toBe("string");
  const body = JSON.parse(sent as string) as { variables: unknown };
  expect(body.variables).toEqual(variables);
});

test("a prefetch that fails throws nowhere and leaves the error to the page", async () => {
  fetchMock.mockImplementation(() =>
    Promise.resolve(
      new Response(JSON.stringify({ errors: [{ message: "traceId is not a trace id" }] }), {
        headers: { "Content-Type": "application/json" },
      }),
    ),
  );
  const client = createQueryClient();

  prefetchGraphQL(client, TraceDetailQuery, { traceId: "not-an-id" });

  // No unhandled rejection (Vitest fails a test that leaves one): the error waits in the cache
  // for the page, which shows it.
  await vi.waitFor(() => expect(client.isFetching()).toBe(0));
  const [query] = client.getQueryCache().getAll();
  expect(query.state.status).toBe("error");
  expect(query.state.error?.message).toBe("traceId is not a trace id");
});
