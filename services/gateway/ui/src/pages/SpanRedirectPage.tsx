// `/spans/<span id>`: a deep link to a span, wherever its trace is. It resolves the span's trace
// and moves on to the trace page with the span selected.
import { Link, Navigate, useParams } from "react-router";

import { useGraphQL } from "../api/hooks";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { graphql } from "../gql";

const SpanTraceQuery = graphql(`
  query SpanTrace($spanId: ID!) {
    span(spanId: $spanId) {
      spanId
      traceId
    }
  }
`);

export default function SpanRedirectPage() {
  const { spanId = "" } = useParams();
  const { data, error, isPending } = useGraphQL(SpanTraceQuery, { spanId });
  if (isPending) return <Loading label="Finding the span…" />;
  if (error) return <ErrorState error={error} />;
  if (!data.span) {
    return (
      <EmptyState title="Span not found">
        No span has the id <code>{spanId}</code>. It may not have arrived yet, or its project was
        deleted. <Link to="/">See the projects</Link>.
      </EmptyState>
    );
  }
  return (
    <Navigate
      to={`/traces/${data.span.traceId}?span=${encodeURIComponent(data.span.spanId)}`}
      replace
    />
  );
}
