// A stored prompt version shown as it reads: its messages (role and text, tool calls and
// results as JSON), its model, invocation parameters, tools and response format.
import { messageFromTemplate, unwrappedParameters } from "../playground/variants";
import type { EditorMessage } from "../playground/variants";

function messagesOf(template: unknown): EditorMessage[] {
  if (typeof template !== "object" || template === null) return [];
  const value = template as { type?: unknown; template?: unknown; messages?: unknown };
  if (value.type === "string") {
    const text = typeof value.template === "string" ? value.template : "";
    return [messageFromTemplate({ role: "user", content: text })];
  }
  return (Array.isArray(value.messages) ? value.messages : []).map(messageFromTemplate);
}

export function TemplateMessages({ template }: { template: unknown }) {
  const messages = messagesOf(template);
  return (
    <ol className="template-messages" aria-label="Messages">
      {messages.map((message, position) => (
        // Read-only and never reordered: the position is the message's identity.
        <li key={position} className={`template-message role-${message.role}`}>
          <span className="message-role">{message.role}</span>
          {message.content ? <pre className="message-text">{message.content}</pre> : null}
          {message.parts.length ? (
            <pre className="message-parts">{JSON.stringify(message.parts, null, 2)}</pre>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

export interface VersionContent {
  template: unknown;
  invocationParameters: unknown;
  tools?: unknown;
  responseFormat?: unknown;
}

/** The messages, then the parameters, tools and response format where there are any. */
export function VersionContentView({ version }: { version: VersionContent }) {
  const parameters = unwrappedParameters(version.invocationParameters);
  return (
    <div className="version-content">
      <TemplateMessages template={version.template} />
      <div className="version-settings">
        <section aria-label="Invocation parameters">
          <h4>Invocation parameters</h4>
          <pre>{Object.keys(parameters).length ? JSON.stringify(parameters, null, 2) : "none"}</pre>
        </section>
        {version.tools ? (
          <section aria-label="Tools">
            <h4>Tools</h4>
            <pre>{JSON.stringify(version.tools, null, 2)}</pre>
          </section>
        ) : null}
        {version.responseFormat ? (
          <section aria-label="Response format">
            <h4>Response format</h4>
            <pre>{JSON.stringify(version.responseFormat, null, 2)}</pre>
          </section>
        ) : null}
      </div>
    </div>
  );
}
