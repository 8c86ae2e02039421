// The query of a project's list (traces, spans, sessions, a session's turns). Its first page
// polls, so new rows appear without a reload; later pages don't (they would shift under the
// reader as rows arrive), nor does a filter the server has refused (it would refuse it again).
// Every list that grows while it is open reads through here and says so with `LiveStatus`.
import { useState } from "react";
import type { UseQueryResult } from "@tanstack/react-query";

import { useGraphQL } from "../../api/hooks";
import type { TypedDocumentString } from "../../gql/graphql";
import { filterErrorMessage } from "../filter/filterError";

/** How often the first page of a list asks for new rows. */
export const LIVE_REFRESH_MILLISECONDS = 5_000;

/** Rows per page of the traces, spans and sessions tables. */
export const ROWS_PER_PAGE = 50;

/** Where the list is: its page (0 for a list read whole) and its filter ("" for none). */
export interface LiveListPosition {
  pageIndex: number;
  filter?: string;
}

/** Runs the list's `document`, showing the previous answer while the next one loads; `live`
 * says whether it is polling. */
export function useLiveListQuery<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  { pageIndex, filter = "" }: LiveListPosition,
): UseQueryResult<TResult, Error> & { live: boolean } {
  const [refusedFilter, setRefusedFilter] = useState<string | null>(null);
  const live = pageIndex === 0 && refusedFilter !== filter;
  const result = useGraphQL(document, variables, {
    keepPrevious: true,
    refetchInterval: live ? LIVE_REFRESH_MILLISECONDS : false,
  });
  if (filterErrorMessage(result.error) !== null && refusedFilter !== filter) {
    setRefusedFilter(filter);
  }
  return { ...result, live };
}
