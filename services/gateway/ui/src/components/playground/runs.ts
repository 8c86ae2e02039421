// The playground's runs: one streamed chat completion per variant at a time, started alone or
// all at once, each with its answer so far, its trace and its error. Starting a variant again
// stops its previous run; leaving the page stops them all.
import { useCallback, useEffect, useRef, useState } from "react";

import { emptyAnswer, streamChat } from "./chatStream";
import type { StreamedAnswer } from "./chatStream";
import { chatRequest } from "./variants";
import type { Variant } from "./variants";

export interface VariantRun {
  status: "running" | "done" | "failed";
  answer: StreamedAnswer;
  /** The playground trace of the call, once the answer's headers named it. */
  traceId: string | null;
  /** Why the run failed before or during the answer, in the API's words. */
  error: string | null;
}

export interface VariantRuns {
  runs: Record<string, VariantRun>;
  start: (variant: Variant, values: Record<string, string>) => void;
  stop: (variantId: string) => void;
}

export function useVariantRuns(): VariantRuns {
  const [runs, setRuns] = useState<Record<string, VariantRun>>({});
  const controllers = useRef(new Map<string, AbortController>());

  useEffect(() => {
    const running = controllers.current;
    return () => {
      for (const controller of running.values()) controller.abort();
    };
  }, []);

  const update = useCallback((variantId: string, change: Partial<VariantRun>) => {
    setRuns((previous) => {
      const run = previous[variantId];
      return run ? { ...previous, [variantId]: { ...run, ...change } } : previous;
    });
  }, []);

  const start = useCallback(
    (variant: Variant, values: Record<string, string>) => {
      controllers.current.get(variant.id)?.abort();
      const fresh: VariantRun = {
        status: "running",
        answer: emptyAnswer(),
        traceId: null,
        error: null,
      };
      setRuns((previous) => ({ ...previous, [variant.id]: fresh }));
      const controller = new AbortController();
      controllers.current.set(variant.id, controller);
      // A run started again replaces this one: what this one still reports is dropped.
      const report = (change: Partial<VariantRun>) => {
        if (controllers.current.get(variant.id) === controller) update(variant.id, change);
      };
      let body: unknown;
      try {
        body = chatRequest(variant, values);
      } catch (error) {
        report({ status: "failed", error: (error as Error).message });
        controllers.current.delete(variant.id);
        return;
      }
      streamChat(
        body,
        {
          onStart: (traceId) => report({ traceId }),
          onAnswer: (answer) => report({ answer }),
        },
        controller.signal,
      )
        .then((answer) => report({ status: answer.error ? "failed" : "done", error: answer.error }))
        .catch((error: unknown) =>
          report({
            status: "failed",
            error: controller.signal.aborted ? "Stopped." : (error as Error).message,
          }),
        )
        .finally(() => {
          if (controllers.current.get(variant.id) === controller) {
            controllers.current.delete(variant.id);
          }
        });
    },
    [update],
  );

  const stop = useCallback((variantId: string) => {
    controllers.current.get(variantId)?.abort();
  }, []);

  return { runs, start, stop };
}
