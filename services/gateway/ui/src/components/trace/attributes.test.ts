import { exceptionOf, llmMessages, prettyJson } from "./attributes";

// As the query API nests `llm.input_messages.N.message.*` for the agent trace the tests send.
const attributes = {
  llm: {
    model_name: "gpt-4o-mini",
    input_messages: [
      { message: { role: "system", content: "You are a helpful shop assistant." } },
      { message: { role: "user", content: "Where is my order 1234?" } },
      {
        message: {
          role: "assistant",
          tool_calls: [
            {
              tool_call: {
                id: "call_1",
                function: { name: "lookup_order", arguments: '{"order_id": "1234"}' },
              },
            },
          ],
        },
      },
      { message: { role: "tool", tool_call_id: "call_1", content: '{"status": "packed"}' } },
    ],
    output_messages: [{ message: { role: "assistant", content: "It ships tomorrow." } }],
  },
};

describe("llmMessages", () => {
  it("reads OpenInference's nested messages with their roles and tool calls", () => {
    const messages = llmMessages(attributes, "input_messages");

    expect(messages.map((message) => message.role)).toEqual([
      "system",
      "user",
      "assistant",
      "tool",
    ]);
    expect(messages[0].content).toBe("You are a helpful shop assistant.");
    expect(messages[2].toolCalls).toEqual([
      { id: "call_1", name: "lookup_order", arguments: '{\n  "order_id": "1234"\n}' },
    ]);
    expect(messages[3].toolCallId).toBe("call_1");
    expect(llmMessages(attributes, "output_messages")[0].content).toBe("It ships tomorrow.");
  });

  it("joins the text parts of a multi-part message", () => {
    const multiPart = {
      llm: {
        input_messages: [
          {
            message: {
              role: "User",
              contents: [
                { message_content: { type: "text", text: "What is in" } },
                { message_content: { type: "image", image: { image: { url: "x" } } } },
                { message_content: { type: "text", text: "this picture?" } },
              ],
            },
          },
        ],
      },
    };

    expect(llmMessages(multiPart, "input_messages")[0]).toMatchObject({
      role: "user",
      content: "What is in\n[image]\nthis picture?",
    });
  });

  it("reads numbered messages that stayed an object, in number order", () => {
    const numbered = {
      llm: {
        input_messages: {
          "10": { message: { role: "assistant", content: "b" } },
          "2": { message: { role: "user", content: "a" } },
          note: "x",
        },
      },
    };

    expect(llmMessages(numbered, "input_messages").map((message) => message.content)).toEqual([
      "a",
      "b",
    ]);
  });

  it("answers no messages for a span without any", () => {
    expect(llmMessages({ input: { value: "hi" } }, "input_messages")).toEqual([]);
    expect(llmMessages(null, "output_messages")).toEqual([]);
  });
});

describe("prettyJson", () => {
  it("indents JSON text and leaves other text as it is", () => {
    expect(prettyJson('{"a":[1]}')).toBe('{\n  "a": [\n    1\n  ]\n}');
    expect(prettyJson("not json")).toBe("not json");
    expect(prettyJson("42")).toBe("42");
    expect(prettyJson({ a: 1 })).toBe('{\n  "a": 1\n}');
  });
});

describe("exceptionOf", () => {
  it("reads an exception event's flat attributes", () => {
    const exception = exceptionOf({
      name: "exception",
      attributes: {
        "exception.type": "TimeoutError",
        "exception.message": "order service timed out",
        "exception.stacktrace": "Traceback...",
        "exception.escaped": "true",
      },
    });

    expect(exception).toEqual({
      type: "TimeoutError",
      message: "order service timed out",
      stacktrace: "Traceback...",
      escaped: true,
    });
  });

  it("answers null for other events", () => {
    expect(exceptionOf({ name: "first_token", attributes: { token: "Hi" } })).toBeNull();
  });
});
