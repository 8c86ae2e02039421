// React Query around `request`: every page reads through `useGraphQL`, so caching, retries and
// the upstream banner behave the same everywhere.
import { keepPreviousData, QueryCache, QueryClient, useQuery } from "@tanstack/react-query";
import type { UseQueryResult } from "@tanstack/react-query";

import type { TypedDocumentString } from "../gql/graphql";
import { reportUpstream } from "../lib/upstream";
import { GraphQLRequestError, request, UpstreamError } from "./graphql";

/** The one client of the app. Bad arguments are not retried (they will fail again); outages are,
 * a few times, while the banner says what is wrong. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({ onSuccess: () => reportUpstream(null) }),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: false,
        retry: (failures, error) => !(error instanceof GraphQLRequestError) && failures < 3,
      },
    },
  });
}

/** `request`, raising the banner at the first failed attempt rather than after the retries. */
export async function requestReportingUpstream<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables?: TVariables,
  signal?: AbortSignal,
): Promise<TResult> {
  try {
    return await request(document, variables, signal);
  } catch (error) {
    if (error instanceof UpstreamError) reportUpstream(error.message);
    throw error;
  }
}

export interface GraphQLQueryOptions<TResult = unknown> {
  /** Poll every this many milliseconds (new traces appear without a reload). */
  refetchInterval?: number | false;
  /** Poll (every `refetchInterval`) only until this says the answer is final: a trace that
   * has arrived, a job that has finished. */
  pollUntil?: (data: TResult) => boolean;
  enabled?: boolean;
  /** Keep showing the previous answer while the next one loads (paging, filtering). */
  keepPrevious?: boolean;
}

/** The cache entry of `document` with `variables`: its key, and how to read it. */
function graphQLQuery<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
) {
  return {
    queryKey: [document.toString(), variables],
    queryFn: ({ signal }: { signal: AbortSignal }) =>
      requestReportingUpstream(document, variables, signal),
  };
}

/** Runs `document` with `variables`; the answer is cached by both. */
export function useGraphQL<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  options: GraphQLQueryOptions<TResult> = {},
): UseQueryResult<TResult, Error> {
  const { pollUntil, refetchInterval } = options;
  return useQuery({
    ...graphQLQuery(document, variables),
    refetchInterval: pollUntil
      ? (query) => {
          const data = query.state.data;
          return data !== undefined && pollUntil(data) ? false : (refetchInterval ?? false);
        }
      : refetchInterval,
    enabled: options.enabled,
    placeholderData: options.keepPrevious ? keepPreviousData : undefined,
  });
}

/** Starts reading what `useGraphQL(document, variables)` will ask for, before the page that asks
 * is on screen (from a route's loader, while the page's code loads); the page then finds the
 * answer cached or on its way. An answer already cached is not read again, however old: loaders
 * run again at every change of the address (a span selected), and the page's own `useGraphQL`
 * refreshes a stale answer when it mounts. Never throws: a failure is the page's to show. */
export function prefetchGraphQL<TResult, TVariables>(
  client: QueryClient,
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
): void {
  client.ensureQueryData(graphQLQuery(document, variables)).catch(() => undefined);
}
