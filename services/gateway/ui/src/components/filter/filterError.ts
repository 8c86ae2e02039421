// Which failures of a list's request are the filter's fault: those are shown under the filter
// input, in the server's words, instead of replacing the table.
import { GraphQLRequestError } from "../../api/graphql";

/** The code the query API gives an expression it can't parse or compile. */
export const INVALID_FILTER_CODE = "INVALID_FILTER";

/** The server's message if `error` is its refusal of the `filter` argument, else null. */
export function filterErrorMessage(error: Error | null | undefined): string | null {
  if (!(error instanceof GraphQLRequestError)) return null;
  return error.argument === "filter" || error.code === INVALID_FILTER_CODE ? error.message : null;
}
