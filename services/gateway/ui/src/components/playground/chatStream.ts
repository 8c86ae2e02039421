// One streamed chat completion: `POST /v1/chat/completions` with `stream: true`, its
// `text/event-stream` answer read with fetch and a ReadableStream (EventSource can't POST),
// each `chat.completion.chunk` folded into the answer so far. An error before the stream starts
// is thrown (the API's message); one in the middle arrives as `data: {"error": {...}}` and ends
// the answer with that message, keeping what had arrived.
import { createParser } from "eventsource-parser";

import { errorOf, send } from "../../api/rest";

export interface StreamedToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface StreamedAnswer {
  text: string;
  toolCalls: StreamedToolCall[];
  finishReason: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  /** The error the stream ended with, in the API's words. */
  error: string | null;
  /** The stream ended with `data: [DONE]` (an answer cut off without it is incomplete). */
  done: boolean;
}

export function emptyAnswer(): StreamedAnswer {
  return {
    text: "",
    toolCalls: [],
    finishReason: null,
    promptTokens: null,
    completionTokens: null,
    error: null,
    done: false,
  };
}

interface ChunkToolCall {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

interface Chunk {
  choices?: {
    delta?: { content?: string | null; tool_calls?: ChunkToolCall[] };
    finish_reason?: string | null;
  }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string };
}

/** `answer` with one event's data folded in (a new object: React sees the change). */
export function foldEvent(answer: StreamedAnswer, data: string): StreamedAnswer {
  if (data === "[DONE]") return { ...answer, done: true };
  let chunk: Chunk;
  try {
    chunk = JSON.parse(data) as Chunk;
  } catch {
    const shown = data.slice(0, 200);
    return { ...answer, error: `The stream sent something that is not JSON: ${shown}` };
  }
  if (chunk.error) {
    return { ...answer, error: chunk.error.message ?? "The provider failed mid-answer." };
  }
  const next = { ...answer, toolCalls: [...answer.toolCalls] };
  for (const choice of chunk.choices ?? []) {
    const delta = choice.delta ?? {};
    if (delta.content) next.text += delta.content;
    for (const call of delta.tool_calls ?? []) {
      const index = call.index ?? next.toolCalls.length;
      const known = next.toolCalls[index] ?? { id: "", name: "", arguments: "" };
      next.toolCalls[index] = {
        id: call.id ?? known.id,
        name: known.name + (call.function?.name ?? ""),
        arguments: known.arguments + (call.function?.arguments ?? ""),
      };
    }
    if (choice.finish_reason) next.finishReason = choice.finish_reason;
  }
  if (chunk.usage) {
    next.promptTokens = chunk.usage.prompt_tokens ?? null;
    next.completionTokens = chunk.usage.completion_tokens ?? null;
  }
  return next;
}

export interface StreamCallbacks {
  /** The answer's headers are in: its trace (`x-spyglass-trace-id`), if the API named one. */
  onStart: (traceId: string | null) => void;
  onAnswer: (answer: StreamedAnswer) => void;
}

/** Sends `body` and streams the answer to `callbacks` until it ends; the last answer is also
 * returned. Throws the API's refusal (an `ApiError`) if it refused before the stream began. */
export async function streamChat(
  body: unknown,
  callbacks: StreamCallbacks,
  signal?: AbortSignal,
): Promise<StreamedAnswer> {
  const response = await send("/v1/chat/completions", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok) throw await errorOf(response);
  callbacks.onStart(response.headers.get("x-spyglass-trace-id"));
  let answer = emptyAnswer();
  const parser = createParser({
    onEvent: (event) => {
      answer = foldEvent(answer, event.data);
      callbacks.onAnswer(answer);
    },
  });
  if (!response.body) {
    answer = { ...answer, error: "The answer had no body." };
    callbacks.onAnswer(answer);
    return answer;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.feed(value);
  }
  if (!answer.done && !answer.error) {
    answer = { ...answer, error: "The answer stopped before it was complete." };
    callbacks.onAnswer(answer);
  }
  return answer;
}
