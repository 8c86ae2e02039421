// How to send traces, on a projects page with nothing to show: no project at all, or (there is
// always a `default` project) none with a trace in the range. Projects are created by the
// traces that name them, so this is how a user gets one.
import { EmptyState } from "../States";

/** The ingest receiver's OTLP/gRPC port (the gateway forwards only OTLP/HTTP). */
const OTLP_GRPC_PORT = 4317;

export function SendTracesHelp({ title = "No projects yet" }: { title?: string }) {
  const origin = window.location.origin;
  const endpoint = `${origin}/v1/traces`;
  const grpc = `${window.location.hostname}:${OTLP_GRPC_PORT}`;
  const python = [
    "pip install arize-phoenix-otel openinference-instrumentation-openai",
    "",
    "from phoenix.otel import register",
    "",
    "tracer_provider = register(",
    '    project_name="my-app",',
    `    endpoint="${endpoint}",`,
    "    auto_instrument=True,",
    ")",
  ].join("\n");
  return (
    <EmptyState title={title}>
      <div className="send-traces" data-testid="send-traces-help">
        <p>
          A project appears here as soon as it receives its first trace. Send OpenTelemetry
          traces (OpenInference conventions) to Spyglass:
        </p>
        <ul>
          <li>
            OTLP/HTTP (protobuf or JSON): <code>POST {endpoint}</code>
          </li>
          <li>
            OTLP/gRPC: <code>{grpc}</code> (the ingest receiver&apos;s default port)
          </li>
        </ul>
        <p>
          From Python, with <code>arize-phoenix-otel</code> (the project is named by{" "}
          <code>project_name</code>):
        </p>
        <pre className="send-traces-code">{python}</pre>
        <p>
          Or set <code>PHOENIX_COLLECTOR_ENDPOINT={origin}</code> and keep your existing{" "}
          <code>register()</code> call.
        </p>
      </div>
    </EmptyState>
  );
}
