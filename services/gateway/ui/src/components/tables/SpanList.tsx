// The body of the traces and spans pages, around the table: the filter bar, the states a list
// can be in, and the pager. A filter the server refuses is shown under the input while the rows
// of the last answer stay, so a typo never reads as "nothing matched".
import { useState } from "react";
import type { ReactNode } from "react";

import { useCan } from "../auth/viewer";
import { FilterBar } from "../filter/FilterBar";
import { filterErrorMessage } from "../filter/filterError";
import { Pagination } from "../Pagination";
import { MissingProject } from "../projects/MissingProject";
import { EmptyState, ErrorState, Loading } from "../States";
import type { Pager } from "../../lib/pager";
import type { ListSearch } from "./listSearch";
import { LiveStatus } from "./LiveStatus";
import { AddToDatasetButton } from "../spansToDataset/AddToDataset";
import { SpanTable } from "./SpanTable";
import type { RowSelection, SpanRow } from "./SpanTable";

/** One answer of the list's query, as rows. `rows` is null when the project does not exist. */
export interface SpanListPage {
  rows: SpanRow[] | null;
  hasNextPage: boolean;
  endCursor: string | null | undefined;
}

export interface SpanListProps {
  projectName: string;
  /** "traces" or "spans": how the states name the rows. */
  noun: string;
  /** What the filter is applied to, said under the filter input. */
  filterScope: string;
  search: ListSearch;
  pager: Pager;
  /** The answer for the current request (or the previous one while it loads); undefined before. */
  page: SpanListPage | undefined;
  error: Error | null;
  /** The answer shown is the previous request's, while the new one loads. */
  updating: boolean;
  /** The list polls for new rows. */
  live: boolean;
  /** Extra controls beside the live indicator (the root-spans toggle). */
  toolbar?: ReactNode;
  /** Rows can be picked with checkboxes and added to a dataset (row keys are span GlobalIDs),
   * by a viewer who may write. */
  selectable?: boolean;
}

export function SpanList(props: SpanListProps) {
  const { noun, search, pager, page, error } = props;
  const filterError = filterErrorMessage(error);
  // The last answer that had rows to show, kept for when the next request is refused.
  const [lastPage, setLastPage] = useState<SpanListPage | undefined>(undefined);
  if (page?.rows && page !== lastPage) setLastPage(page);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const selectable = useCan("write") && props.selectable;
  const shownKeys = page?.rows?.map((row) => row.key) ?? [];
  const selection: RowSelection | undefined = selectable
    ? {
        selected,
        onToggle: (key) =>
          setSelected((current) => {
            const next = new Set(current);
            if (!next.delete(key)) next.add(key);
            return next;
          }),
        onToggleAll: (select) => setSelected(new Set(select ? shownKeys : [])),
      }
    : undefined;

  const table = (rows: SpanRow[]) => (
    <div className="panel span-table-panel">
      <SpanTable
        rows={rows}
        sort={search.sort}
        onSort={search.toggleSort}
        testId={`${noun}-table`}
        rowTestId={`${noun.replace(/s$/, "")}-row`}
        selection={selection}
      />
    </div>
  );

  let body: ReactNode;
  if (filterError) {
    body = lastPage?.rows?.length ? (
      <>
        <div className="list-note" data-testid="stale-rows-note">
          The filter above was not applied: these are the {noun} of the previous request.
        </div>
        {table(lastPage.rows)}
      </>
    ) : (
      <EmptyState title="The filter could not be applied">
        Fix the expression above (the message under it says what is wrong), or clear it to see
        all {noun}.
      </EmptyState>
    );
  } else if (!page && error) {
    body = <ErrorState error={error} />;
  } else if (!page) {
    body = <Loading label={`Loading ${noun}…`} />;
  } else if (page.rows === null) {
    body = <MissingProject name={props.projectName} />;
  } else if (page.rows.length === 0 && pager.pageIndex === 0) {
    body = search.filter ? (
      <EmptyState title={`No ${noun} match the filter in this time range`}>
        Nothing matched <code>{search.filter}</code>. Try a longer time range, or{" "}
        <button type="button" onClick={() => search.applyFilter("")}>
          clear the filter
        </button>
        .
      </EmptyState>
    ) : (
      <EmptyState title={`No ${noun} in this time range`}>
        Choose a longer time range, or send traces to this project over OTLP (
        <code>/v1/traces</code>).
      </EmptyState>
    );
  } else {
    body = (
      <>
        {table(page.rows)}
        <Pagination pager={pager} hasNextPage={page.hasNextPage} endCursor={page.endCursor} />
      </>
    );
  }

  return (
    <>
      <FilterBar
        value={search.filter}
        onApply={search.applyFilter}
        error={filterError}
        scope={props.filterScope}
      />
      <div className="list-toolbar">
        {props.toolbar}
        {selectable ? (
          <AddToDatasetButton spanIds={[...selected]} onAdded={() => setSelected(new Set())} />
        ) : null}
        <LiveStatus
          noun={noun}
          updating={props.updating}
          pageIndex={pager.pageIndex}
          live={props.live}
        />
      </div>
      {body}
    </>
  );
}
