// Cursor pagination: the cursors of the pages before this one, so "Previous" goes back without
// the server knowing about pages at all.
import { useCallback, useEffect, useState } from "react";

export interface Pager {
  /** The `after` argument of the page shown. */
  after: string | undefined;
  pageIndex: number;
  next: (endCursor: string) => void;
  previous: () => void;
}

/** A pager that starts over whenever `resetKey` changes (a new filter, sort or range). */
export function usePager(resetKey: string): Pager {
  const [cursors, setCursors] = useState<string[]>([]);
  useEffect(() => setCursors([]), [resetKey]);
  const next = useCallback((endCursor: string) => setCursors((stack) => [...stack, endCursor]), []);
  const previous = useCallback(() => setCursors((stack) => stack.slice(0, -1)), []);
  return { after: cursors.at(-1), pageIndex: cursors.length, next, previous };
}
