// Cursor pagination: the cursors of the pages before this one, so "Previous" goes back without
// the server knowing about pages at all.
import { useCallback, useState } from "react";

export interface Pager {
  /** The `after` argument of the page shown. */
  after: string | undefined;
  pageIndex: number;
  next: (endCursor: string) => void;
  previous: () => void;
}

/** The cursors walked through, and the list they belong to. */
interface Walk {
  resetKey: string;
  cursors: readonly string[];
}

/** A pager that starts over whenever `resetKey` changes (a new filter, sort or range).
 *
 * The cursors are kept with the key they were walked under, so a new key reads as page 1 in the
 * very render that brings it: no request ever pairs the new list with an old list's cursor. */
export function usePager(resetKey: string): Pager {
  const [walk, setWalk] = useState<Walk>({ resetKey, cursors: [] });
  const cursors = walk.resetKey === resetKey ? walk.cursors : [];
  const next = useCallback(
    (endCursor: string) =>
      setWalk((previous) => ({
        resetKey,
        cursors: [...(previous.resetKey === resetKey ? previous.cursors : []), endCursor],
      })),
    [resetKey],
  );
  const previous = useCallback(
    () =>
      setWalk((previous) => ({
        resetKey,
        cursors: previous.resetKey === resetKey ? previous.cursors.slice(0, -1) : [],
      })),
    [resetKey],
  );
  return { after: cursors.at(-1), pageIndex: cursors.length, next, previous };
}
