// An LLM span replayed in the playground: its input messages (with their tool calls and tool
// results), model, provider, invocation parameters and tools, read from the OpenInference
// attributes the query API nests (`llm.input_messages`, `llm.model_name`, `llm.provider`,
// `llm.invocation_parameters`, `llm.tools`).
import { attributeAt, llmMessages } from "../trace/attributes";
import type { ChatMessage } from "../trace/attributes";
import { PROVIDERS, newId, newMessage, roleOf } from "./variants";
import type { EditorMessage, Variant } from "./variants";

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A value given as JSON text or already parsed. */
function parsed(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

/** OpenInference's provider names (`llm.provider`, else `llm.system`) as Phoenix's. */
const PROVIDER_NAMES: Record<string, string> = {
  azure: "AZURE_OPENAI",
  vertexai: "GOOGLE",
  gemini: "GOOGLE",
  bedrock: "AWS",
  mistralai: "OPENAI",
};

export function providerOf(attributes: unknown): string {
  const name = attributeAt(attributes, "llm.provider") ?? attributeAt(attributes, "llm.system");
  if (typeof name !== "string") return "OPENAI";
  const lower = name.toLowerCase();
  const upper = lower.toUpperCase();
  if ((PROVIDERS as readonly string[]).includes(upper)) return upper;
  return PROVIDER_NAMES[lower] ?? "OPENAI";
}

/** Keys of a span's invocation parameters that are not parameters: the request's own fields. */
const NOT_PARAMETERS = new Set([
  "model",
  "messages",
  "stream",
  "stream_options",
  "tools",
  "functions",
  "tool_choice",
  "response_format",
]);

export function parametersOf(attributes: unknown): JsonObject {
  const value = parsed(attributeAt(attributes, "llm.invocation_parameters"));
  if (!isObject(value)) return {};
  return Object.fromEntries(Object.entries(value).filter(([key]) => !NOT_PARAMETERS.has(key)));
}

/** `llm.tools.N.tool.json_schema`: each tool's JSON (OpenAI's function tool). */
export function toolsOf(attributes: unknown): JsonObject[] {
  const tools = attributeAt(attributes, "llm.tools");
  const entries = Array.isArray(tools)
    ? tools
    : isObject(tools)
      ? Object.keys(tools)
          .filter((key) => /^\d+$/.test(key))
          .sort((left, right) => Number(left) - Number(right))
          .map((key) => tools[key])
      : [];
  return entries
    .map((entry) => parsed(attributeAt(entry, "tool.json_schema")))
    .filter(isObject)
    .map((tool) => (tool.type ? tool : { type: "function", function: tool }));
}

function editorMessage(message: ChatMessage, position: number): EditorMessage {
  const role = roleOf(message.role);
  if (role === "tool") {
    const result = {
      type: "tool_result",
      tool_call_id: message.toolCallId ?? `call_${position}`,
      tool_result: message.content,
    };
    return newMessage(role, "", [result]);
  }
  const calls = message.toolCalls.map((call, index) => ({
    type: "tool_call",
    tool_call_id: call.id ?? `call_${position}_${index}`,
    tool_call: { type: "function", name: call.name, arguments: call.arguments },
  }));
  return newMessage(role, message.content, calls);
}

/** A variant that replays the LLM call `attributes` describe; `label` names it. */
export function variantFromSpan(attributes: unknown, label: string): Variant {
  const model = attributeAt(attributes, "llm.model_name");
  const tools = toolsOf(attributes);
  const messages = llmMessages(attributes, "input_messages").map(editorMessage);
  return {
    id: newId("variant"),
    provider: providerOf(attributes),
    model: typeof model === "string" ? model : "",
    // The span's messages are what was sent, variables already filled in: nothing to fill.
    templateFormat: "NONE",
    messages: messages.length ? messages : [newMessage("user")],
    parameters: JSON.stringify(parametersOf(attributes), null, 2),
    tools: tools.length ? JSON.stringify(tools, null, 2) : "",
    toolChoice: null,
    responseFormat: null,
    origin: label,
    promptName: null,
  };
}
