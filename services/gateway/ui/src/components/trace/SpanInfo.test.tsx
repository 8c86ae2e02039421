import { render, screen, within } from "@testing-library/react";

import { SpanInfo } from "./SpanInfo";
import type { SpanInfoView } from "./SpanInfo";

const base: SpanInfoView = {
  spanKind: "CHAIN",
  statusCode: "OK",
  statusMessage: "",
  input: null,
  output: null,
  attributes: {},
  events: [],
  documents: [],
};

describe("SpanInfo", () => {
  it("shows an LLM call as a chat, each message in its role's bubble", () => {
    render(
      <SpanInfo
        span={{
          ...base,
          spanKind: "LLM",
          input: { value: '{"messages": []}', mimeType: "application/json" },
          attributes: {
            llm: {
              model_name: "gpt-4o-mini",
              input_messages: [
                { message: { role: "system", content: "Be brief." } },
                {
                  message: {
                    role: "assistant",
                    tool_calls: [
                      { tool_call: { function: { name: "lookup", arguments: '{"id":1}' } } },
                    ],
                  },
                },
                { message: { role: "tool", content: "found" } },
              ],
              output_messages: [{ message: { role: "assistant", content: "Done." } }],
            },
          },
        }}
      />,
    );

    const bubbles = screen.getAllByTestId("chat-message");
    expect(bubbles.map((bubble) => bubble.dataset.role)).toEqual([
      "system",
      "assistant",
      "tool",
      "assistant",
    ]);
    expect(bubbles[0]).toHaveTextContent("Be brief.");
    const call = within(bubbles[1]).getByTestId("tool-call");
    expect(call).toHaveTextContent("lookup");
    expect(call.querySelector("pre")?.textContent).toBe('{\n  "id": 1\n}');
    expect(within(screen.getByRole("region", { name: "Output messages" })).getByText("Done."))
      .toBeInTheDocument();
    expect(screen.getByText("gpt-4o-mini")).toBeInTheDocument();
    // The raw request is still there, folded away under the chat.
    expect(screen.getByText("Raw input and output")).toBeInTheDocument();
  });

  it("lists a retriever's documents with their scores", () => {
    render(
      <SpanInfo
        span={{
          ...base,
          spanKind: "RETRIEVER",
          documents: [
            { position: 0, documentId: "doc-a", content: "First.", score: 0.923 },
            { position: 1, documentId: "doc-b", content: "Second.", score: null },
          ],
        }}
      />,
    );

    const documents = screen.getAllByTestId("document");
    expect(documents).toHaveLength(2);
    expect(within(documents[0]).getByTestId("document-score")).toHaveTextContent("score 0.92");
    expect(within(documents[1]).queryByTestId("document-score")).not.toBeInTheDocument();
    expect(documents[1]).toHaveTextContent("Second.");
  });

  it("shows a failed tool's parameters, status message and stack trace", () => {
    render(
      <SpanInfo
        span={{
          ...base,
          spanKind: "TOOL",
          statusCode: "ERROR",
          statusMessage: "timed out",
          attributes: { tool: { name: "lookup_order", parameters: { order_id: "1234" } } },
          events: [
            {
              name: "exception",
              timestamp: "2025-01-01T00:00:00+00:00",
              attributes: {
                "exception.type": "TimeoutError",
                "exception.message": "timed out",
                "exception.stacktrace": "Traceback (most recent call last):\n  ...",
              },
            },
          ],
        }}
      />,
    );

    expect(screen.getByTestId("tool-name")).toHaveTextContent("lookup_order");
    expect(screen.getByTestId("tool-parameters").textContent).toBe('{\n  "order_id": "1234"\n}');
    expect(screen.getByTestId("exception")).toHaveTextContent("TimeoutError: timed out");
    expect(screen.getByTestId("stacktrace").textContent).toBe(
      "Traceback (most recent call last):\n  ...",
    );
  });
});
