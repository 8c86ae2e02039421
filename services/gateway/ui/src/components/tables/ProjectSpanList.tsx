// A project's page of traces or of spans: its header with the time range, and the list read
// through the page's query with the address's filter, sort and page. The two pages differ only
// in their query, how an answer becomes rows, and the spans page's root-spans toggle.
import { useMemo } from "react";
import { useParams } from "react-router";

import type { ProjectSpansQueryVariables, TypedDocumentString } from "../../gql/graphql";
import { usePager } from "../../lib/pager";
import { useTimeRange } from "../../lib/timeRange";
import { ProjectHeader } from "../Layout";
import { TimeRangePicker } from "../TimeRangePicker";
import { useListSearch } from "./listSearch";
import { ROWS_PER_PAGE, useLiveListQuery } from "./liveList";
import { SpanList } from "./SpanList";
import type { SpanListPage } from "./SpanList";

/** The variables a project list's query takes: every one of the spans query's, or fewer. */
type ListVariables = Partial<ProjectSpansQueryVariables> & { name: string };

export interface ProjectSpanListProps<TResult, TVariables extends ListVariables> {
  /** The page's class, for its styles and tests. */
  className: string;
  document: TypedDocumentString<TResult, TVariables>;
  /** Whether the list has the "Root spans only" toggle, whose state (in the address) the query
   * takes as `rootSpansOnly` (the spans list does). */
  rootSpansToggle?: boolean;
  /** The rows of an answer. */
  toPage: (data: TResult) => SpanListPage;
  noun: string;
  filterScope: string;
  /** Rows can be picked and added to a dataset (the spans list). */
  selectable?: boolean;
}

export function ProjectSpanList<TResult, TVariables extends ListVariables>({
  className,
  document,
  rootSpansToggle = false,
  toPage,
  noun,
  filterScope,
  selectable = false,
}: ProjectSpanListProps<TResult, TVariables>) {
  const { projectName = "" } = useParams();
  const { key: rangeKey, timeRange } = useTimeRange();
  const search = useListSearch();
  const pager = usePager(`${projectName}|${rangeKey}|${search.resetKey}`);
  const variables = {
    name: projectName,
    timeRange,
    filter: search.filter || null,
    sort: search.sort,
    ...(rootSpansToggle ? { rootSpansOnly: search.rootSpansOnly } : {}),
    first: ROWS_PER_PAGE,
    after: pager.after,
  } as TVariables;
  const { data, error, isPlaceholderData, live } = useLiveListQuery(document, variables, {
    pageIndex: pager.pageIndex,
    filter: search.filter,
  });
  // One object per answer: the list keeps the last one with rows.
  const page = useMemo(() => (data ? toPage(data) : undefined), [data, toPage]);
  return (
    <div className={className}>
      <ProjectHeader actions={<TimeRangePicker />} />
      <SpanList
        key={projectName}
        projectName={projectName}
        noun={noun}
        filterScope={filterScope}
        search={search}
        pager={pager}
        page={page}
        error={error}
        updating={isPlaceholderData}
        live={live}
        selectable={selectable}
        toolbar={
          rootSpansToggle ? (
            <label className="root-spans-toggle">
              <input
                type="checkbox"
                data-testid="root-spans-only"
                checked={search.rootSpansOnly}
                onChange={(event) => search.setRootSpansOnly(event.target.checked)}
              />{" "}
              Root spans only
            </label>
          ) : undefined
        }
      />
    </div>
  );
}
