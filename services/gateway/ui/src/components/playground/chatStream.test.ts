import { emptyAnswer, foldEvent } from "./chatStream";

function fold(...events: unknown[]) {
  return events.reduce(
    (answer: ReturnType<typeof emptyAnswer>, event) =>
      foldEvent(answer, typeof event === "string" ? event : JSON.stringify(event)),
    emptyAnswer(),
  );
}

function call(toolCall: unknown) {
  return { choices: [{ delta: { tool_calls: [toolCall] } }] };
}

describe("foldEvent", () => {
  it("adds up text, tool calls, the finish reason and usage", () => {
    const answer = fold(
      { choices: [{ delta: { role: "assistant", content: "" } }] },
      { choices: [{ delta: { content: "Hel" } }] },
      { choices: [{ delta: { content: "lo" } }] },
      call({ index: 0, id: "c1", function: { name: "look", arguments: '{"a"' } }),
      call({ index: 0, function: { name: "up", arguments: ": 1}" } }),
      { choices: [{ delta: {}, finish_reason: "tool_calls" }] },
      { choices: [], usage: { prompt_tokens: 12, completion_tokens: 5 } },
      "[DONE]",
    );
    expect(answer).toEqual({
      text: "Hello",
      toolCalls: [{ id: "c1", name: "lookup", arguments: '{"a": 1}' }],
      finishReason: "tool_calls",
      promptTokens: 12,
      completionTokens: 5,
      error: null,
      done: true,
    });
  });

  it("keeps what arrived when the stream reports an error", () => {
    const answer = fold(
      { choices: [{ delta: { content: "Par" } }] },
      { error: { message: "provider failed mid-answer", type: "api_error" } },
      "[DONE]",
    );
    expect(answer.text).toBe("Par");
    expect(answer.error).toBe("provider failed mid-answer");
  });
});
