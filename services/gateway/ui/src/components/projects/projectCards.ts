// The projects list, read page by page with "Load more" and polled so that new projects and
// fresh figures appear without a reload. An infinite query keeps every loaded page and refetches
// them together, which a plain query per page could not.
import { useInfiniteQuery } from "@tanstack/react-query";

import { requestReportingUpstream } from "../../api/hooks";
import { graphql } from "../../gql";
import type { ProjectCardsQuery } from "../../gql/graphql";

const ProjectCardsDocument = graphql(`
  query ProjectCards(
    $first: Int
    $after: String
    $nameContains: String
    $timeRange: TimeRange
  ) {
    projects(first: $first, after: $after, nameContains: $nameContains) {
      edges {
        cursor
        node {
          id
          name
          description
          gradientStartColor
          gradientEndColor
          stats(timeRange: $timeRange) {
            traceCount
            latencyMsP50
            latencyMsP99
            tokenCountTotal
            costTotal
            errorRate
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

/** One project as its card shows it. */
export type ProjectCardData = ProjectCardsQuery["projects"]["edges"][number]["node"];

/** Cards per page. */
export const PROJECTS_PER_PAGE = 24;

/** How often the list is read again, in milliseconds. */
export const PROJECTS_REFRESH_MS = 10_000;

/** The projects whose name contains `nameContains` (all if empty), with their figures over
 * `timeRange`, a page at a time. */
export function useProjectCards(nameContains: string, timeRange: { start?: string }) {
  return useInfiniteQuery({
    queryKey: ["ProjectCards", nameContains, timeRange],
    queryFn: ({ pageParam, signal }) =>
      requestReportingUpstream(
        ProjectCardsDocument,
        {
          first: PROJECTS_PER_PAGE,
          after: pageParam,
          nameContains: nameContains || undefined,
          timeRange,
        },
        signal,
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: ({ projects }) =>
      projects.pageInfo.hasNextPage ? (projects.pageInfo.endCursor ?? undefined) : undefined,
    refetchInterval: PROJECTS_REFRESH_MS,
    placeholderData: (previous) => previous,
  });
}
