import {
  VariantProblem,
  chatRequest,
  emptyVariant,
  experimentPrompt,
  promptVersionBody,
  variantFromVersion,
} from "./variants";

const stored = {
  modelProvider: "ANTHROPIC",
  modelName: "claude-sonnet-4-5",
  templateFormat: "F_STRING",
  template: {
    type: "chat",
    messages: [
      { role: "system", content: "Answer about {topic}." },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Looking it up." },
          {
            type: "tool_call",
            tool_call_id: "c1",
            tool_call: { type: "function", name: "lookup", arguments: "{}" },
          },
        ],
      },
      { role: "model", content: [{ type: "text", text: "Done." }] },
    ],
  },
  invocationParameters: { type: "anthropic", anthropic: { max_tokens: 256 } },
  tools: {
    type: "tools",
    tools: [{ type: "function", function: { name: "lookup" } }],
    tool_choice: { type: "zero_or_more" },
  },
  responseFormat: null,
};

describe("variants", () => {
  it("reads a stored version, keeping tool calls and tool choice", () => {
    const variant = variantFromVersion(stored, "qa version 2", "qa");
    expect(variant.provider).toBe("ANTHROPIC");
    expect(variant.templateFormat).toBe("F_STRING");
    expect(variant.messages.map((message) => [message.role, message.content])).toEqual([
      ["system", "Answer about {topic}."],
      ["assistant", "Looking it up."],
      ["assistant", "Done."],
    ]);
    expect(variant.messages[1].parts).toHaveLength(1);
    expect(JSON.parse(variant.parameters)).toEqual({ max_tokens: 256 });
    expect(JSON.parse(variant.tools)).toEqual([
      { type: "function", function: { name: "lookup" } },
    ]);
    expect(variant.promptName).toBe("qa");
  });

  it("writes it back as Phoenix's prompt version", () => {
    const variant = variantFromVersion(stored, "qa version 2", "qa");
    const body = promptVersionBody(variant, " second ");
    expect(body).toMatchObject({
      description: "second",
      model_provider: "ANTHROPIC",
      template_type: "CHAT",
      template_format: "F_STRING",
      invocation_parameters: { type: "anthropic", anthropic: { max_tokens: 256 } },
      tools: { type: "tools", tool_choice: { type: "zero_or_more" } },
    });
    const messages = (body.template as { messages: { content: unknown }[] }).messages;
    expect(messages[1].content).toEqual([
      { type: "text", text: "Looking it up." },
      {
        type: "tool_call",
        tool_call_id: "c1",
        tool_call: { type: "function", name: "lookup", arguments: "{}" },
      },
    ]);
    expect(experimentPrompt(variant)).toMatchObject({
      model_name: "claude-sonnet-4-5",
      invocation_parameters: { max_tokens: 256 },
    });
  });

  it("makes a streamed chat request with only the variables the template uses", () => {
    const variant = emptyVariant();
    const body = chatRequest(variant, { question: "Why?", unused: "x" });
    expect(body).toMatchObject({
      model: "openai:gpt-4o-mini",
      stream: true,
      stream_options: { include_usage: true },
      template_format: "MUSTACHE",
      template_variables: { question: "Why?" },
    });
    expect(body).not.toHaveProperty("invocation_parameters");
    expect(body).not.toHaveProperty("tools");
  });

  it("names what can't be sent", () => {
    const variant = emptyVariant();
    expect(() => chatRequest({ ...variant, parameters: "{" }, {})).toThrow(
      /Invocation parameters are not valid JSON/,
    );
    expect(() => chatRequest({ ...variant, parameters: "[1]" }, {})).toThrow(VariantProblem);
    expect(() => chatRequest({ ...variant, tools: '{"type": "function"}' }, {})).toThrow(
      /Tools must be a JSON list/,
    );
    expect(() => chatRequest({ ...variant, model: " " }, {})).toThrow(/model name/);
  });
});
