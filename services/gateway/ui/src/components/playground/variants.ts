// A playground variant: the prompt being tried (messages, model, invocation parameters, tools)
// as the editor holds it, and what the API takes of it: a chat completion request, a prompt
// version (Phoenix's shapes) and the prompt of a server-side experiment. A variant starts empty,
// from a stored prompt version, or from an LLM span (`spanPrompt.ts`).
import type { TemplateFormat } from "./templates";
import { variablesOf } from "./templates";

/** Phoenix's model providers (a prompt version's `model_provider`). */
export const PROVIDERS = [
  "OPENAI",
  "AZURE_OPENAI",
  "ANTHROPIC",
  "GOOGLE",
  "DEEPSEEK",
  "XAI",
  "OLLAMA",
  "AWS",
  "CEREBRAS",
  "FIREWORKS",
  "GROQ",
  "MOONSHOT",
  "PERPLEXITY",
  "TOGETHER",
] as const;

export const ROLES = ["system", "developer", "user", "assistant", "tool"] as const;
export type Role = (typeof ROLES)[number];

type JsonObject = Record<string, unknown>;

/** One message of the template. `parts` are the content parts the editor shows but does not
 * edit (Phoenix's `tool_call` and `tool_result` parts); they are sent after the text. */
export interface EditorMessage {
  id: string;
  role: Role;
  content: string;
  parts: JsonObject[];
}

export interface Variant {
  id: string;
  provider: string;
  model: string;
  templateFormat: TemplateFormat;
  messages: EditorMessage[];
  /** A JSON object as typed: the provider's invocation parameters (`{"temperature": 0.2}`). */
  parameters: string;
  /** A JSON list as typed (empty for none): OpenAI's function tools, Phoenix's `tools.tools`. */
  tools: string;
  /** Kept from where the variant came from (Phoenix's `tools.tool_choice`), sent unchanged. */
  toolChoice: unknown;
  /** Kept from where the variant came from (Phoenix's `response_format`), sent unchanged. */
  responseFormat: unknown;
  /** Where it came from, for its title: `greeter v3`, `span 1a2b…`. */
  origin: string | null;
  /** The prompt it was read from: where "Save as a version" saves it by default. */
  promptName: string | null;
}

/** The variant can't be sent as it is; the message names the field. */
export class VariantProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VariantProblem";
  }
}

let counter = 0;

/** A key for React lists, unique in this page. */
export function newId(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

export function newMessage(role: Role, content = "", parts: JsonObject[] = []): EditorMessage {
  return { id: newId("message"), role, content, parts };
}

export function emptyVariant(): Variant {
  return {
    id: newId("variant"),
    provider: "OPENAI",
    model: "gpt-4o-mini",
    templateFormat: "MUSTACHE",
    messages: [
      newMessage("system", "You are a helpful assistant."),
      newMessage("user", "{{question}}"),
    ],
    parameters: "{}",
    tools: "",
    toolChoice: null,
    responseFormat: null,
    origin: null,
    promptName: null,
  };
}

/** A copy with new ids, to try beside the original. */
export function copyVariant(variant: Variant): Variant {
  return {
    ...variant,
    id: newId("variant"),
    messages: variant.messages.map((message) => ({ ...message, id: newId("message") })),
    origin: variant.origin ? `copy of ${variant.origin}` : null,
  };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The role a message is sent with: Phoenix's `model` and `ai` are the assistant's. */
export function roleOf(value: unknown): Role {
  const role = typeof value === "string" ? value.toLowerCase() : "";
  if (role === "model" || role === "ai") return "assistant";
  if (role === "human") return "user";
  return (ROLES as readonly string[]).includes(role) ? (role as Role) : "user";
}

/** A template message's text parts joined, and its other parts kept. */
export function messageFromTemplate(message: unknown): EditorMessage {
  const source = isObject(message) ? message : {};
  const content = source.content;
  if (typeof content === "string") return newMessage(roleOf(source.role), content);
  const texts: string[] = [];
  const parts: JsonObject[] = [];
  for (const part of Array.isArray(content) ? content : []) {
    if (isObject(part) && part.type === "text" && typeof part.text === "string") {
      texts.push(part.text);
    } else if (isObject(part)) {
      parts.push(part);
    }
  }
  return newMessage(roleOf(source.role), texts.join("\n"), parts);
}

/** What a prompt version gives a variant (the fields of GraphQL's `PromptVersion`). */
export interface StoredVersion {
  modelProvider: string;
  modelName: string;
  templateFormat: string;
  template: unknown;
  invocationParameters: unknown;
  tools?: unknown;
  responseFormat?: unknown;
}

/** Phoenix's `{"type": "openai", "openai": {...}}` as its inner parameters. */
export function unwrappedParameters(parameters: unknown): JsonObject {
  if (!isObject(parameters)) return {};
  const kind = parameters.type;
  if (typeof kind === "string" && isObject(parameters[kind])) return parameters[kind];
  return parameters;
}

/** A variant made from a stored prompt version. */
export function variantFromVersion(
  version: StoredVersion,
  origin: string,
  promptName: string | null,
): Variant {
  const template = isObject(version.template) ? version.template : {};
  const messages =
    template.type === "string"
      ? [newMessage("user", typeof template.template === "string" ? template.template : "")]
      : (Array.isArray(template.messages) ? template.messages : []).map(messageFromTemplate);
  const tools =
    isObject(version.tools) && Array.isArray(version.tools.tools) ? version.tools : null;
  const format = version.templateFormat;
  return {
    id: newId("variant"),
    provider: version.modelProvider,
    model: version.modelName,
    templateFormat: format === "F_STRING" || format === "NONE" ? format : "MUSTACHE",
    messages,
    parameters: JSON.stringify(unwrappedParameters(version.invocationParameters), null, 2),
    tools: tools ? JSON.stringify(tools.tools, null, 2) : "",
    toolChoice: tools?.tool_choice ?? null,
    responseFormat: version.responseFormat ?? null,
    origin,
    promptName,
  };
}

// What the API takes ------------------------------------------------------------------------------

function parsedParameters(variant: Variant): JsonObject {
  const text = variant.parameters.trim();
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new VariantProblem(`Invocation parameters are not valid JSON: ${String(error)}`);
  }
  if (!isObject(value)) throw new VariantProblem("Invocation parameters must be a JSON object.");
  return value;
}

/** Phoenix's tools object, or null without tools. */
function parsedTools(variant: Variant): JsonObject | null {
  const text = variant.tools.trim();
  if (!text) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new VariantProblem(`Tools are not valid JSON: ${String(error)}`);
  }
  if (!Array.isArray(value) || value.some((tool) => !isObject(tool))) {
    throw new VariantProblem(
      'Tools must be a JSON list of tools: [{"type": "function", "function": {"name": ...}}].',
    );
  }
  if (value.length === 0) return null;
  return {
    type: "tools",
    tools: value as unknown[],
    ...(variant.toolChoice ? { tool_choice: variant.toolChoice } : {}),
  };
}

function checkedModel(variant: Variant): string {
  const model = variant.model.trim();
  if (!model) throw new VariantProblem("Give a model name.");
  return model;
}

/** The messages as Phoenix's template messages: text, or text and the parts kept. */
export function templateMessages(variant: Variant): { role: Role; content: unknown }[] {
  if (variant.messages.length === 0) throw new VariantProblem("Add at least one message.");
  return variant.messages.map((message) => {
    if (message.parts.length === 0) return { role: message.role, content: message.content };
    const text = message.content ? [{ type: "text", text: message.content }] : [];
    return { role: message.role, content: [...text, ...message.parts] };
  });
}

/** The variables the variant's messages use. */
export function variantVariables(variant: Variant): string[] {
  return variablesOf(
    variant.messages.map((message) => message.content),
    variant.templateFormat,
  );
}

/** The body of `POST /v1/chat/completions` that runs the variant, streamed, its template
 * filled in on the server with `values`. */
export function chatRequest(variant: Variant, values: Record<string, string>): JsonObject {
  const parameters = parsedParameters(variant);
  const tools = parsedTools(variant);
  const body: JsonObject = {
    model: `${variant.provider.toLowerCase()}:${checkedModel(variant)}`,
    messages: templateMessages(variant),
    stream: true,
    stream_options: { include_usage: true },
    template_format: variant.templateFormat,
  };
  if (Object.keys(parameters).length) body.invocation_parameters = parameters;
  if (tools) body.tools = tools;
  if (variant.responseFormat) body.response_format = variant.responseFormat;
  if (variant.templateFormat !== "NONE") {
    body.template_variables = Object.fromEntries(
      variantVariables(variant).map((name) => [name, values[name] ?? ""]),
    );
  }
  return body;
}

/** The `version` of `POST /v1/prompts`: the variant as a new prompt version. */
export function promptVersionBody(variant: Variant, description: string): JsonObject {
  const kind = variant.provider.toLowerCase();
  const tools = parsedTools(variant);
  const body: JsonObject = {
    model_provider: variant.provider,
    model_name: checkedModel(variant),
    template_type: "CHAT",
    template_format: variant.templateFormat,
    template: { type: "chat", messages: templateMessages(variant) },
    invocation_parameters: { type: kind, [kind]: parsedParameters(variant) },
  };
  if (description.trim()) body.description = description.trim();
  if (tools) body.tools = tools;
  if (variant.responseFormat) body.response_format = variant.responseFormat;
  return body;
}

/** The `prompt` of `POST /v1/experiment_jobs`: the variant run over a dataset's examples, their
 * inputs filling in its variables. */
export function experimentPrompt(variant: Variant): JsonObject {
  const tools = parsedTools(variant);
  const body: JsonObject = {
    model_provider: variant.provider,
    model_name: checkedModel(variant),
    template: { type: "chat", messages: templateMessages(variant) },
    template_format: variant.templateFormat,
    invocation_parameters: parsedParameters(variant),
  };
  if (tools) body.tools = tools;
  if (variant.responseFormat) body.response_format = variant.responseFormat;
  return body;
}
