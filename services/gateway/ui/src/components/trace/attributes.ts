// What the span detail reads out of a span's attributes, which the query API nests as
// OpenInference writes them: `llm.input_messages.0.message.role` arrives as
// `{"llm": {"input_messages": [{"message": {"role": ...}}]}}`.

/** A tool call an assistant message asks for. */
export interface ChatToolCall {
  id: string | null;
  name: string;
  /** The arguments, pretty-printed when they are JSON. */
  arguments: string;
}

/** One message of an LLM call, as the chat shows it. */
export interface ChatMessage {
  role: string;
  /** The text (several text parts joined); empty when the message only calls tools. */
  content: string;
  name: string | null;
  /** For a tool message: the call it answers. */
  toolCallId: string | null;
  toolCalls: ChatToolCall[];
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at a dotted `path` of nested attributes, or undefined. */
export function attributeAt(attributes: unknown, path: string): unknown {
  let value: unknown = attributes;
  for (const key of path.split(".")) {
    if (!isObject(value)) return undefined;
    value = value[key];
  }
  return value;
}

/** A list of nested attributes; numbered keys that did not become a list (a list mixed with
 * other keys stays an object) are read in number order. */
function listOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (!isObject(value)) return [];
  return Object.keys(value)
    .filter((key) => /^\d+$/.test(key))
    .sort((left, right) => Number(left) - Number(right))
    .map((key) => value[key]);
}

/** An attribute's value as text: a string as it is, any other value as JSON, null for none. */
export function attributeText(value: unknown): string | null {
  if (value == null) return null;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** `text` pretty-printed with two-space indents when it is JSON (or already a JSON value). */
export function prettyJson(value: unknown): string {
  if (typeof value !== "string") return JSON.stringify(value, null, 2) ?? "";
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === "object" && parsed !== null ? JSON.stringify(parsed, null, 2) : value;
  } catch {
    return value;
  }
}

function messageContent(message: JsonObject): string {
  const content = attributeText(message.content);
  if (content != null) return content;
  // Multi-part messages: `message.contents.N.message_content.{type, text}`.
  return listOf(message.contents)
    .map((part) => (isObject(part) ? (part.message_content ?? part) : part))
    .filter(isObject)
    .map((part) => attributeText(part.text) ?? (part.type === "image" ? "[image]" : ""))
    .filter((part) => part !== "")
    .join("\n");
}

function toolCallsOf(message: JsonObject): ChatToolCall[] {
  return listOf(message.tool_calls)
    .map((entry) => (isObject(entry) && isObject(entry.tool_call) ? entry.tool_call : entry))
    .filter(isObject)
    .map((call) => {
      const fn = isObject(call.function) ? call.function : {};
      return {
        id: attributeText(call.id),
        name: attributeText(fn.name) ?? "",
        arguments: fn.arguments == null ? "" : prettyJson(fn.arguments),
      };
    });
}

/** The messages of an LLM span: `which` is `input_messages` (the prompt) or `output_messages`
 * (the answer). Messages without a role are shown as `unknown`. */
export function llmMessages(
  attributes: unknown,
  which: "input_messages" | "output_messages",
): ChatMessage[] {
  return listOf(attributeAt(attributes, `llm.${which}`))
    .map((entry) => (isObject(entry) && isObject(entry.message) ? entry.message : entry))
    .filter(isObject)
    .map((message) => ({
      role: (attributeText(message.role) ?? "unknown").toLowerCase(),
      content: messageContent(message),
      name: attributeText(message.name),
      toolCallId: attributeText(message.tool_call_id),
      toolCalls: toolCallsOf(message),
    }));
}

/** An exception recorded as a span event (OpenTelemetry's `exception` event). */
export interface SpanException {
  type: string | null;
  message: string | null;
  stacktrace: string | null;
  escaped: boolean;
}

/** The exception an event records, or null when the event is not one. The event's attributes
 * may arrive nested (`{"exception": {"type": ...}}`) or flat (`{"exception.type": ...}`). */
export function exceptionOf(event: { name: string; attributes: unknown }): SpanException | null {
  const attributes = isObject(event.attributes) ? event.attributes : {};
  const read = (field: string): unknown =>
    attributeAt(attributes, `exception.${field}`) ?? attributes[`exception.${field}`];
  const type = attributeText(read("type"));
  const message = attributeText(read("message"));
  const stacktrace = attributeText(read("stacktrace"));
  if (event.name !== "exception" && type == null && stacktrace == null) return null;
  const escaped = read("escaped");
  return { type, message, stacktrace, escaped: escaped === true || escaped === "true" };
}
