// One function sends every GraphQL request the UI makes, and turns each way it can fail into an
// error the pages can show: a bad argument (a filter typo), an upstream that is down, or a
// network failure. An expired session is renewed on the way (`fetchWithSession`).
import type { TypedDocumentString } from "../gql/graphql";
import { fetchWithSession } from "./session";

/** The query API answered, but refused an argument or failed; `argument` names the argument. */
export class GraphQLRequestError extends Error {
  readonly code: string | undefined;
  readonly argument: string | undefined;

  constructor(message: string, code?: string, argument?: string) {
    super(message);
    this.name = "GraphQLRequestError";
    this.code = code;
    this.argument = argument;
  }
}

/** The gateway could not reach the query API (502/503/504), or the browser could not reach the
 * gateway. Shown as a banner over the page: the data is unavailable, not empty. */
export class UpstreamError extends Error {
  readonly status: number | undefined;

  constructor(message: string, status?: number) {
    super(message);
    this.name = "UpstreamError";
    this.status = status;
  }
}

interface GraphQLErrorBody {
  message: string;
  extensions?: { code?: string; argument?: string };
}

interface GraphQLResponseBody<T> {
  data?: T | null;
  errors?: GraphQLErrorBody[];
}

const UPSTREAM_STATUSES = new Set([502, 503, 504]);

/** Sends `document` with `variables` to `/graphql` and returns its data, or throws one of the
 * errors above. */
export async function request<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables?: TVariables,
  signal?: AbortSignal,
): Promise<TResult> {
  let response: Response;
  try {
    response = await fetchWithSession("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
      signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new UpstreamError("Spyglass is unreachable: check that the gateway is running.");
  }
  if (UPSTREAM_STATUSES.has(response.status)) {
    throw new UpstreamError(await upstreamMessage(response), response.status);
  }
  if (response.status === 401) {
    // Still 401 after `fetchWithSession` tried to renew the session: the login page is next.
    throw new GraphQLRequestError("Your session has ended: log in again.", "UNAUTHENTICATED");
  }
  let body: GraphQLResponseBody<TResult>;
  try {
    body = (await response.json()) as GraphQLResponseBody<TResult>;
  } catch {
    throw new GraphQLRequestError(`The query API answered ${response.status} without JSON.`);
  }
  const first = body.errors?.[0];
  if (first) {
    throw new GraphQLRequestError(first.message, first.extensions?.code, first.extensions?.argument);
  }
  if (!response.ok || body.data == null) {
    throw new GraphQLRequestError(`The query API answered ${response.status}.`);
  }
  return body.data;
}

async function upstreamMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { detail?: string; message?: string };
    return body.detail ?? body.message ?? `The gateway answered ${response.status}.`;
  } catch {
    return `The gateway answered ${response.status}.`;
  }
}
