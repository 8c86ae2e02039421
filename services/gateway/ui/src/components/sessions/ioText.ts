// How a turn's input or output reads in a chat bubble. Apps record `input.value` either as plain
// text or as JSON (the arguments of the traced function); for JSON we look for the one text a
// person typed or read, and fall back to the pretty-printed JSON.

/** A span's `input` / `output` value. */
export interface IOValue {
  value: string;
  mimeType?: string | null;
}

export interface BubbleText {
  text: string;
  /** The text is pretty-printed JSON, to be shown as code. */
  isJson: boolean;
}

/** Keys that, in an object of a function's arguments or result, usually hold the message. */
const MESSAGE_KEYS = [
  "question",
  "query",
  "input",
  "prompt",
  "message",
  "content",
  "text",
  "answer",
  "output",
  "response",
  "result",
];

/** The text of `io` for a bubble; null when there is none. */
export function bubbleText(io: IOValue | null | undefined): BubbleText | null {
  if (!io || io.value === "") return null;
  const looksJson = io.mimeType?.includes("json") || /^\s*[[{"]/.test(io.value);
  if (!looksJson) return { text: io.value, isJson: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(io.value);
  } catch {
    return { text: io.value, isJson: false };
  }
  const message = messageOf(parsed, 0);
  if (message != null) return { text: message, isJson: false };
  return { text: JSON.stringify(parsed, null, 2), isJson: true };
}

function messageOf(value: unknown, depth: number): string | null {
  if (typeof value === "string") return value;
  if (depth > 2 || value == null || typeof value !== "object") return null;
  if (Array.isArray(value)) {
    // A chat history: the last message is this turn's.
    return value.length > 0 ? messageOf(value[value.length - 1], depth + 1) : null;
  }
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.messages)) return messageOf(record.messages, depth + 1);
  for (const key of MESSAGE_KEYS) {
    if (key in record) {
      const found = messageOf(record[key], depth + 1);
      if (found != null) return found;
    }
  }
  const entries = Object.values(record);
  return entries.length === 1 ? messageOf(entries[0], depth + 1) : null;
}
