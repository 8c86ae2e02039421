// An LLM call's messages as a chat: one bubble per message, coloured by role, with the tool
// calls an assistant asks for and their arguments.
import type { ChatMessage } from "./attributes";

const KNOWN_ROLES = new Set(["system", "user", "assistant", "tool", "function", "developer"]);

function Bubble({ message }: { message: ChatMessage }) {
  const roleClass = KNOWN_ROLES.has(message.role) ? message.role : "other";
  return (
    <div
      className={`chat-message chat-${roleClass}`}
      data-testid="chat-message"
      data-role={message.role}
    >
      <div className="chat-role">
        {message.role}
        {message.name ? <span className="chat-name"> · {message.name}</span> : null}
        {message.toolCallId ? (
          <span className="chat-name"> · answers {message.toolCallId}</span>
        ) : null}
      </div>
      {message.content ? <div className="chat-content">{message.content}</div> : null}
      {message.toolCalls.map((call, index) => (
        <div className="chat-tool-call" data-testid="tool-call" key={call.id ?? index}>
          <div className="chat-tool-call-name">
            <span aria-hidden="true">ƒ </span>
            {call.name || "(unnamed tool)"}
            {call.id ? <span className="chat-name"> · {call.id}</span> : null}
          </div>
          {call.arguments ? <pre className="chat-arguments">{call.arguments}</pre> : null}
        </div>
      ))}
    </div>
  );
}

/** `messages` under `title`, or nothing when there are none. */
export function ChatView({ title, messages }: { title: string; messages: ChatMessage[] }) {
  if (messages.length === 0) return null;
  return (
    <section className="detail-section" aria-label={title}>
      <h3>{title}</h3>
      <div className="chat">
        {messages.map((message, index) => (
          <Bubble key={index} message={message} />
        ))}
      </div>
    </section>
  );
}
