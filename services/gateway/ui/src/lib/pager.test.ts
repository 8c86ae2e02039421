// The pager walks forward and back by the server's cursors, and a new list (another filter, sort
// or range) starts on page 1 in the very render that brings it, so no request ever pairs the new
// list with a cursor of the old one.
import { act, renderHook } from "@testing-library/react";
import { expect, test } from "vitest";

import { usePager } from "./pager";

test("next and previous walk the cursors; a new key starts over at once", () => {
  const afters: (string | undefined)[] = [];
  const { result, rerender } = renderHook(
    ({ resetKey }) => {
      const pager = usePager(resetKey);
      afters.push(pager.after);
      return pager;
    },
    { initialProps: { resetKey: "shop|24h|" } },
  );
  expect(result.current).toMatchObject({ pageIndex: 0, after: undefined });

  act(() => result.current.next("cursor-50"));
  act(() => result.current.next("cursor-100"));
  expect(result.current).toMatchObject({ pageIndex: 2, after: "cursor-100" });
  act(() => result.current.previous());
  expect(result.current).toMatchObject({ pageIndex: 1, after: "cursor-50" });

  afters.length = 0;
  rerender({ resetKey: "shop|7d|" });

  expect(afters).not.toContain("cursor-50");
  expect(result.current).toMatchObject({ pageIndex: 0, after: undefined });
  act(() => result.current.next("cursor-7d"));
  expect(result.current).toMatchObject({ pageIndex: 1, after: "cursor-7d" });
});
