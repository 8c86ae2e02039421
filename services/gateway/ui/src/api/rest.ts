// REST calls of the UI: what GraphQL does not write (prompts, tags, experiment jobs) and the
// playground's chat completions. Every refusal becomes an `ApiError` carrying the API's own
// message; an unreachable or failing gateway an `UpstreamError`, as for GraphQL. An expired
// session is renewed on the way (`fetchWithSession`).
import { UpstreamError } from "./graphql";
import { fetchWithSession } from "./session";

/** The API refused the request (4xx) or failed (5xx); `message` is its reason, in its words. */
export class ApiError extends Error {
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

interface ValidationItem {
  loc?: unknown[];
  msg?: string;
}

/** The reason in an error answer, whichever of the API's shapes it has: Phoenix's plain text,
 * FastAPI's `{"detail": ...}` (a text or a list of validation errors), or OpenAI's
 * `{"error": {"message": ...}}` (the chat completions). */
export function apiErrorMessage(status: number, body: string): string {
  const text = body.trim();
  if (!text) return `The server answered ${status}.`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text; // plain text, as Phoenix answers
  }
  if (typeof parsed !== "object" || parsed === null) return text;
  const { detail, error } = parsed as { detail?: unknown; error?: unknown };
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return (detail as ValidationItem[])
      .map((item) => {
        const where = (item.loc ?? []).filter((part) => part !== "body").join(".");
        return where ? `${where}: ${item.msg ?? ""}` : (item.msg ?? "");
      })
      .join("; ");
  }
  if (typeof error === "object" && error !== null) {
    const message = (error as { message?: unknown }).message;
    if (typeof message === "string") return message;
  }
  return text;
}

const UPSTREAM_STATUSES = new Set([502, 503, 504]);

/** `fetch`, with an expired session renewed and a network failure turned into an
 * `UpstreamError`. */
export async function send(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetchWithSession(path, init);
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new UpstreamError("Spyglass is unreachable: check that the gateway is running.");
  }
}

/** The error a failed answer amounts to, its body read for the reason. A gateway that could not
 * reach the query API answers 502-504 with its own message: that is an `UpstreamError`, unless
 * the body is the API's own error (a provider outage the chat completions report as 502). */
export async function errorOf(response: Response): Promise<Error> {
  const body = await response.text().catch(() => "");
  const message = apiErrorMessage(response.status, body);
  if (UPSTREAM_STATUSES.has(response.status) && !body.includes('"error"')) {
    return new UpstreamError(message, response.status);
  }
  return new ApiError(message, response.status);
}

/** The request of a JSON call: `body` (if any) as JSON, a JSON answer asked for. */
export function jsonRequest(method: string, body?: unknown, signal?: AbortSignal): RequestInit {
  return {
    method,
    headers: {
      Accept: "application/json",
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  };
}

/** One problem of a 422: the field it names (a dotted path, `body` left out) and its message. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** The problems of a 422's body (`{"detail": [{"loc": [...], "msg": ...}]}`), each with the
 * dotted path of its field under the body, query or path ("" for the body as a whole). */
export function fieldProblems(body: string): FieldProblem[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  const detail = (parsed as { detail?: unknown } | null)?.detail;
  if (!Array.isArray(detail)) return [];
  return detail.flatMap((item: unknown) => {
    if (typeof item !== "object" || item === null) return [];
    const { loc, msg } = item as { loc?: unknown; msg?: unknown };
    const parts = Array.isArray(loc) ? loc.map(String) : [];
    const where = parts[0] === "body" || parts[0] === "query" || parts[0] === "path";
    const field = (where ? parts.slice(1) : parts).filter(Boolean).join(".");
    return [{ field, message: typeof msg === "string" ? msg : String(msg) }];
  });
}

/** Sends `body` (as JSON) with `method` to the REST path and returns the answer's JSON (null
 * for 204), or throws the API's refusal. */
export async function restJson<T>(
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const response = await send(path, jsonRequest(method, body, signal));
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return null as T;
  try {
    return (await response.json()) as T;
  } catch {
    throw new ApiError("The server's answer was not the expected JSON.", response.status);
  }
}
