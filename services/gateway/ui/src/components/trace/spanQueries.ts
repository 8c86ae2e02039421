// Reading one span's body (attributes, events, documents, annotations) on demand. A span is
// read by its id, or, when the page opens a trace without `?span=`, as the trace's root span:
// that read needs no span id, so it runs beside the trace's outline instead of after it.
import type { UseQueryResult } from "@tanstack/react-query";

import { useGraphQL } from "../../api/hooks";
import { graphql } from "../../gql";
import type { SpanDetailFieldsFragment } from "../../gql/graphql";

graphql(`
  fragment SpanDetailFields on Span {
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
