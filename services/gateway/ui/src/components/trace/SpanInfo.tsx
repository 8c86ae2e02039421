// What a span did, read the way its kind calls for: an LLM call as a chat, a retriever's
// documents with their scores, a tool's name and parameters, and every span's input and output.
import { attributeAt, attributeText, llmMessages, prettyJson } from "./attributes";
import { ChatView } from "./ChatView";
import { ExceptionView, exceptionsOf } from "./SpanEvents";
import type { SpanEventView } from "./SpanEvents";

interface IOValue {
  value: string;
  mimeType?: string | null;
}

interface DocumentView {
  position: number;
  documentId?: string | null;
  content?: string | null;
  score?: number | null;
  metadata?: unknown;
}

/** The fields of `span(spanId:)` this view reads. */
export interface SpanInfoView {
  spanKind: string;
  statusCode: string;
  statusMessage: string;
  input?: IOValue | null;
  output?: IOValue | null;
  attributes: unknown;
  events: SpanEventView[];
  documents: DocumentView[];
}

function IOBlock({ title, io }: { title: string; io: IOValue | null | undefined }) {
  if (!io || io.value === "") return null;
  const json = io.mimeType?.includes("json") ?? false;
  return (
    <section className="detail-section" aria-label={title}>
      <h3>{title}</h3>
      <pre className="io-value" data-testid={`span-${title.toLowerCase()}`}>
        {json ? prettyJson(io.value) : io.value}
      </pre>
    </section>
  );
}

function Documents({ documents }: { documents: DocumentView[] }) {
  if (documents.length === 0) return null;
  return (
    <section className="detail-section" aria-label="Documents">
      <h3>Documents</h3>
      <ol className="documents">
        {documents.map((document) => (
          <li key={document.position} className="document" data-testid="document">
            <div className="document-heading">
              <span className="document-id">{document.documentId ?? `#${document.position}`}</span>
              {document.score != null ? (
                <span className="document-score" data-testid="document-score">
                  score {document.score.toFixed(2)}
                </span>
              ) : null}
            </div>
            {document.content ? <div className="document-content">{document.content}</div> : null}
            {document.metadata != null ? (
              <pre className="document-metadata">{prettyJson(document.metadata)}</pre>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  );
}

function LlmCall({ attributes }: { attributes: unknown }) {
  const model = attributeAt(attributes, "llm.model_name");
  const provider = attributeAt(attributes, "llm.provider") ?? attributeAt(attributes, "llm.system");
  const parameters = attributeAt(attributes, "llm.invocation_parameters");
  if (model == null && provider == null && parameters == null) return null;
  return (
    <section className="detail-section" aria-label="Model">
      <h3>Model</h3>
      <div>
        <strong>{attributeText(model) ?? "unknown model"}</strong>
        {provider != null ? <span className="muted"> · {attributeText(provider)}</span> : null}
      </div>
      {parameters != null ? <pre className="io-value">{prettyJson(parameters)}</pre> : null}
    </section>
  );
}

function ToolCall({ attributes }: { attributes: unknown }) {
  const name = attributeAt(attributes, "tool.name");
  const description = attributeAt(attributes, "tool.description");
  const parameters = attributeAt(attributes, "tool.parameters");
  if (name == null && parameters == null) return null;
  return (
    <section className="detail-section" aria-label="Tool">
      <h3>Tool</h3>
      <div data-testid="tool-name">
        <strong>{attributeText(name) ?? "unnamed tool"}</strong>
        {description != null ? <span className="muted"> · {attributeText(description)}</span> : null}
      </div>
      {parameters != null ? (
        <pre className="io-value" data-testid="tool-parameters">
          {prettyJson(parameters)}
        </pre>
      ) : null}
    </section>
  );
}

export function SpanInfo({ span }: { span: SpanInfoView }) {
  const kind = span.spanKind.toUpperCase();
  const exceptions = exceptionsOf(span.events);
  const input = kind === "LLM" ? llmMessages(span.attributes, "input_messages") : [];
  const output = kind === "LLM" ? llmMessages(span.attributes, "output_messages") : [];
  const chat = input.length + output.length > 0;
  const io = (
    <>
      <IOBlock title="Input" io={span.input} />
      <IOBlock title="Output" io={span.output} />
    </>
  );
  const hasIO = Boolean(span.input?.value || span.output?.value);
  return (
    <div className="span-info">
      {span.statusCode.toUpperCase() === "ERROR" ? (
        <section className="detail-section span-failure" aria-label="Failure">
          <h3>Failed</h3>
          {span.statusMessage ? <div>{span.statusMessage}</div> : null}
          {exceptions.map((exception, index) => (
            <ExceptionView key={index} exception={exception} />
          ))}
        </section>
      ) : null}
      {kind === "LLM" ? <LlmCall attributes={span.attributes} /> : null}
      <ChatView title="Input messages" messages={input} />
      <ChatView title="Output messages" messages={output} />
      <ToolCall attributes={span.attributes} />
      <Documents documents={span.documents} />
      {chat && hasIO ? (
        <details className="detail-section">
          <summary>Raw input and output</summary>
          {io}
        </details>
      ) : (
        io
      )}
      {!hasIO && !chat && span.documents.length === 0 && exceptions.length === 0 ? (
        <p className="muted">This span recorded no input or output.</p>
      ) : null}
    </div>
  );
}
