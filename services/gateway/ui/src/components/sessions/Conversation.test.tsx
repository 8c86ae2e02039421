import { render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";

import { Conversation } from "./Conversation";
import type { TurnData } from "./Conversation";

function turn(traceId: string, input: string | null, output: string | null): TurnData {
  return {
    trace: {
      traceId,
      startTime: "2025-01-01T00:00:00Z",
      latencyMs: 900,
      statusCode: "OK",
      tokenCountTotal: 150,
      costTotal: 0.001,
    },
    input: input == null ? null : { value: input, mimeType: "text/plain" },
    output: output == null ? null : { value: output, mimeType: "text/plain" },
  };
}

describe("Conversation", () => {
  it("shows each turn as a question, an answer and a link to its trace", () => {
    render(
      <MemoryRouter>
        <Conversation
          turns={[
            turn("a".repeat(32), "Where is my order?", "It ships tomorrow."),
            turn("b".repeat(32), "Thanks!", null),
          ]}
        />
      </MemoryRouter>,
    );
    const turns = screen.getAllByTestId("session-turn");
    expect(turns).toHaveLength(2);
    expect(within(turns[0]).getByTestId("turn-input")).toHaveTextContent("Where is my order?");
    expect(within(turns[0]).getByTestId("turn-output")).toHaveTextContent("It ships tomorrow.");
    expect(within(turns[0]).getByTestId("turn-trace-link")).toHaveAttribute(
      "href",
      `/traces/${"a".repeat(32)}`,
    );
    expect(within(turns[1]).getByTestId("turn-output")).toHaveTextContent("(no output)");
  });
});
