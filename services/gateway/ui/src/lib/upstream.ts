// Whether the last request reached the query API. The layout shows a banner while it did not,
// so an outage reads as an outage, not as empty pages.
import { useSyncExternalStore } from "react";

let problem: string | null = null;
const listeners = new Set<() => void>();

/** Records the outcome of a request: a message while the upstream is down, null once it answers. */
export function reportUpstream(message: string | null): void {
  if (message === problem) return;
  problem = message;
  listeners.forEach((listener) => listener());
}

/** The current upstream problem, or null; re-renders when it changes. */
export function useUpstreamProblem(): string | null {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => problem,
  );
}
