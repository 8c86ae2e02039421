// Cursor pages whose cursors live in the address (`after`, repeated: the pages walked through),
// so a link or a reload shows the same page and Previous still goes back.
import { useSearchParams } from "react-router";

import type { Pager } from "../../lib/pager";

export function useUrlPager(): Pager {
  const [searchParams, setSearchParams] = useSearchParams();
  const cursors = searchParams.getAll("after").filter(Boolean);
  const setCursors = (next: string[]) =>
    setSearchParams((previous) => {
      const params = new URLSearchParams(previous);
      params.delete("after");
      for (const cursor of next) params.append("after", cursor);
      return params;
    });
  return {
    after: cursors.at(-1),
    pageIndex: cursors.length,
    next: (endCursor) => setCursors([...cursors, endCursor]),
    previous: () => setCursors(cursors.slice(0, -1)),
  };
}
