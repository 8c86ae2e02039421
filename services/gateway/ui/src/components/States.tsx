// The three states every page has besides its data: loading, empty and failed.
import type { ReactNode } from "react";

import { GraphQLRequestError, UpstreamError } from "../api/graphql";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty" data-testid="empty-state">
      <strong>{title}</strong>
      {children ? <div className="state-detail">{children}</div> : null}
    </div>
  );
}

/** What went wrong, in the words of the server where it gave any. */
export function ErrorState({ error, title }: { error: Error; title?: string }) {
  const heading =
    title ??
    (error instanceof UpstreamError
      ? "Spyglass's query service is unavailable"
      : error instanceof GraphQLRequestError
        ? "The request was refused"
        : "Something went wrong");
  return (
    <div className="state state-error" role="alert" data-testid="error-state">
      <strong>{heading}</strong>
      <div className="state-detail">{error.message}</div>
    </div>
  );
}
