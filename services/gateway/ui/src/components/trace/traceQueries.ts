// What the trace page reads: the trace with its outline, and one span's body (attributes,
// events, documents, annotations) on demand. A span is read by its id, or, when the page opens a
// trace without `?span=`, as the trace's root span: that read needs no span id, so it runs beside
// the trace's outline instead of after it. Both start from the route's loader (`prefetchTrace`),
// at the same time as the page's code is fetched.
import type { QueryClient, UseQueryResult } from "@tanstack/react-query";

import { prefetchGraphQL, useGraphQL } from "../../api/hooks";
import { graphql } from "../../gql";
import type { SpanDetailFieldsFragment } from "../../gql/graphql";

export const TraceDetailQuery = graphql(`
  query TraceDetail($traceId: ID!) {
    trace(traceId: $traceId) {
      traceId
      project {
        name
      }
      startTime
      latencyMs
      statusCode
      tokenCountTotal
      costTotal
      spanCount
      session {
        sessionId
      }
      annotationSummaries {
        ...AnnotationSummaryFields
      }
      outline
    }
  }
`);

graphql(`
  fragment SpanDetailFields on Span {
    id
    spanId
    traceId
    name
    spanKind
    startTime
    latencyMs
    statusCode
    statusMessage
    tokenCountPrompt
    tokenCountCompletion
    tokenCountTotal
    cumulativeTokenCountTotal
    costPrompt
    costCompletion
    costTotal
    input {
      value
      mimeType
    }
    output {
      value
      mimeType
    }
    attributes
    events {
      name
      timestamp
      attributes
    }
    documents {
      position
      documentId
      content
      score
      metadata
    }
    annotations {
      id
      name
      label
      score
      explanation
      annotatorKind
      createdAt
    }
    annotationSummaries {
      ...AnnotationSummaryFields
    }
  }
`);

const SpanDetailQuery = graphql(`
  query SpanDetail($spanId: ID!) {
    span(spanId: $spanId) {
      ...SpanDetailFields
    }
  }
`);

const RootSpanDetailQuery = graphql(`
  query RootSpanDetail($traceId: ID!) {
    trace(traceId: $traceId) {
      rootSpan {
        ...SpanDetailFields
      }
    }
  }
`);

/** Which span to read: one by its OpenTelemetry id, or the root span of a trace. */
export type SpanTarget = { spanId: string } | { traceId: string };

export type SpanBody = SpanDetailFieldsFragment;

/** The body of the span `target` names; `span` is null when there is no such span. */
export function useSpanBody(target: SpanTarget): {
  span: SpanBody | null | undefined;
  error: Error | null;
  isPending: boolean;
} {
  const bySpan = "spanId" in target;
  const spanRead = useGraphQL(
    SpanDetailQuery,
    { spanId: bySpan ? target.spanId : "" },
    { enabled: bySpan },
  );
  const rootRead = useGraphQL(
    RootSpanDetailQuery,
    { traceId: bySpan ? "" : target.traceId },
    { enabled: !bySpan },
  );
  if (bySpan) return result(spanRead, spanRead.data?.span);
  return result(rootRead, rootRead.data ? (rootRead.data.trace?.rootSpan ?? null) : undefined);
}

function result(
  read: UseQueryResult<unknown, Error>,
  span: SpanBody | null | undefined,
): { span: SpanBody | null | undefined; error: Error | null; isPending: boolean } {
  return { span, error: read.error, isPending: read.isPending };
}

/** Starts the reads of the page of trace `traceId` with span `spanId` selected (the root when
 * null): the outline and the selected span's body, in parallel. */
export function prefetchTrace(client: QueryClient, traceId: string, spanId: string | null): void {
  prefetchGraphQL(client, TraceDetailQuery, { traceId });
  if (spanId) prefetchGraphQL(client, SpanDetailQuery, { spanId });
  else prefetchGraphQL(client, RootSpanDetailQuery, { traceId });
}
