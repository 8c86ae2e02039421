import type { Pager } from "../lib/pager";

/** Previous / Next under a table; Next is offered only while the server says more follow. */
export function Pagination({
  pager,
  hasNextPage,
  endCursor,
}: {
  pager: Pager;
  hasNextPage: boolean;
  endCursor: string | null | undefined;
}) {
  return (
    <nav className="pagination" aria-label="Pages">
      <button type="button" onClick={pager.previous} disabled={pager.pageIndex === 0}>
        Previous
      </button>
      <span data-testid="page-number">Page {pager.pageIndex + 1}</span>
      <button
        type="button"
        onClick={() => endCursor && pager.next(endCursor)}
        disabled={!hasNextPage || !endCursor}
      >
        Next
      </button>
    </nav>
  );
}
