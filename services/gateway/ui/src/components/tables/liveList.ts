// The query of a traces or spans list. Its first page polls, so new rows appear without a
// reload; later pages don't (they would shift under the reader as rows arrive), nor does a
// filter the server has refused (it would refuse it again).
import { useEffect, useState } from "react";
import type { UseQueryResult } from "@tanstack/react-query";

import { useGraphQL } from "../../api/hooks";
import type { TypedDocumentString } from "../../gql/graphql";
import { filterErrorMessage } from "../filter/filterError";

/** How often the first page of a list asks for new rows. */
export const LIVE_REFRESH_MILLISECONDS = 5_000;

/** Rows per page of the traces and spans tables. */
export const ROWS_PER_PAGE = 50;

/** Runs the list's `document`, showing the previous answer while the next one loads; `live`
 * says whether it is polling. */
export function useLiveListQuery<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  { pageIndex, filter }: { pageIndex: number; filter: string },
): UseQueryResult<TResult, Error> & { live: boolean } {
  const [refusedFilter, setRefusedFilter] = useState<string | null>(null);
  const live = pageIndex === 0 && refusedFilter !== filter;
  const result = useGraphQL(document, variables, {
    keepPrevious: true,
    refetchInterval: live ? LIVE_REFRESH_MILLISECONDS : false,
  });
  const refused = filterErrorMessage(result.error) !== null;
  useEffect(() => {
    if (refused) setRefusedFilter(filter);
  }, [refused, filter]);
  return { ...result, live };
}
