import { chatRequest } from "./variants";
import { variantFromSpan } from "./spanPrompt";

// As the query API nests an OpenAI call's OpenInference attributes.
const attributes = {
  llm: {
    provider: "openai",
    model_name: "gpt-4o-mini",
    invocation_parameters: '{"temperature": 0.3, "model": "gpt-4o-mini", "stream": true}',
    tools: [{ tool: { json_schema: '{"type": "function", "function": {"name": "lookup"}}' } }],
    input_messages: [
      { message: { role: "system", content: "Be brief." } },
      { message: { role: "user", content: "Where is {order}?" } },
      {
        message: {
          role: "assistant",
          tool_calls: [
            { tool_call: { id: "call_1", function: { name: "lookup", arguments: '{"id": 1}' } } },
          ],
        },
      },
      { message: { role: "tool", tool_call_id: "call_1", content: "packed" } },
    ],
  },
};

describe("variantFromSpan", () => {
  it("replays the call: messages, model, parameters and tools", () => {
    const variant = variantFromSpan(attributes, "span ChatCompletion");
    expect(variant.provider).toBe("OPENAI");
    expect(variant.model).toBe("gpt-4o-mini");
    expect(variant.templateFormat).toBe("NONE");
    expect(JSON.parse(variant.parameters)).toEqual({ temperature: 0.3 });
    expect(JSON.parse(variant.tools)).toEqual([
      { type: "function", function: { name: "lookup" } },
    ]);
    expect(variant.messages.map((message) => message.role)).toEqual([
      "system",
      "user",
      "assistant",
      "tool",
    ]);
    expect(variant.messages[1].content).toBe("Where is {order}?");
    expect(variant.messages[2].parts[0]).toMatchObject({
      type: "tool_call",
      tool_call_id: "call_1",
      tool_call: { name: "lookup" },
    });
    expect(variant.messages[3].parts[0]).toEqual({
      type: "tool_result",
      tool_call_id: "call_1",
      tool_result: "packed",
    });
    const body = chatRequest(variant, {});
    expect(body).not.toHaveProperty("template_variables");
    expect(body.invocation_parameters).toEqual({ temperature: 0.3 });
  });

  it("falls back to OpenAI for a provider it does not know, and names Azure and Vertex", () => {
    expect(variantFromSpan({ llm: { provider: "azure" } }, "x").provider).toBe("AZURE_OPENAI");
    expect(variantFromSpan({ llm: { system: "vertexai" } }, "x").provider).toBe("GOOGLE");
    expect(variantFromSpan({ llm: { provider: "acme" } }, "x").provider).toBe("OPENAI");
    expect(variantFromSpan({}, "x").messages).toHaveLength(1);
  });
});
