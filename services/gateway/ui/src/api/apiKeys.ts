// API keys, in three kinds: a user's own keys (`/v1/user/api_keys`, anyone signed in), system keys
// (`/v1/system/api_keys`, admins) and project ingest keys (`/v1/ingest_keys`, members and admins:
// a key that can only send spans to one project, what an OTLP collector should hold). A new key
// comes back once, with its secret `key`; the lists never show it again.
import { useQuery } from "@tanstack/react-query";

import { ApiError, restJson } from "./rest";

export type ApiKeyKind = "user" | "system" | "ingest";

/** A key as the lists show it (Phoenix's ApiKey; an ingest key also names its project). */
export interface ApiKey {
  id: string;
  name: string;
  description?: string | null;
  created_at: string;
  expires_at?: string | null;
  project_name?: string | null;
  user?: { id: string; username: string; email: string | null } | null;
}

/** A key just made: the one answer that holds its secret. */
export interface CreatedApiKey extends ApiKey {
  key: string;
}

/** What a new key is given (`project_name` for an ingest key only). */
export interface NewApiKey {
  name: string;
  description?: string | null;
  expires_at?: string | null;
  project_name?: string;
}

export const API_KEYS_KEY = "api-keys";

const PATHS: Record<ApiKeyKind, string> = {
  user: "/v1/user/api_keys",
  system: "/v1/system/api_keys",
  ingest: "/v1/ingest_keys",
};

/** The keys of `kind` the viewer may see (`enabled` false: not asked at all). */
export function useApiKeys(kind: ApiKeyKind, enabled = true) {
  return useQuery({
    queryKey: [API_KEYS_KEY, kind],
    queryFn: async ({ signal }) =>
      (await restJson<{ data: ApiKey[] }>("GET", PATHS[kind], undefined, signal)).data,
    enabled,
    retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 3,
  });
}

export async function createApiKey(kind: ApiKeyKind, key: NewApiKey): Promise<CreatedApiKey> {
  return (await restJson<{ data: CreatedApiKey }>("POST", PATHS[kind], { data: key })).data;
}

export async function revokeApiKey(kind: ApiKeyKind, keyId: string): Promise<void> {
  await restJson<null>("DELETE", `${PATHS[kind]}/${encodeURIComponent(keyId)}`);
}
