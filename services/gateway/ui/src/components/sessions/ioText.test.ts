import { describe, expect, it } from "vitest";

import { bubbleText } from "./ioText";

describe("bubbleText", () => {
  it("shows plain text as it is", () => {
    expect(bubbleText({ value: "Where is my order?", mimeType: "text/plain" })).toEqual({
      text: "Where is my order?",
      isJson: false,
    });
  });

  it("has nothing to show without a value", () => {
    expect(bubbleText(null)).toBeNull();
    expect(bubbleText({ value: "" })).toBeNull();
  });

  it("finds the message in a function's JSON arguments", () => {
    const value = JSON.stringify({ question: "Where is my order?", user_id: 7 });
    expect(bubbleText({ value, mimeType: "application/json" })).toEqual({
      text: "Where is my order?",
      isJson: false,
    });
  });

  it("takes the last message of a chat history", () => {
    const value = JSON.stringify({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi there" },
      ],
    });
    expect(bubbleText({ value, mimeType: "application/json" })?.text).toBe("Hi there");
  });

  it("pretty-prints JSON without an obvious message", () => {
    const value = JSON.stringify({ order_id: "1234", status: "packed" });
    expect(bubbleText({ value, mimeType: "application/json" })).toEqual({
      text: '{\n  "order_id": "1234",\n  "status": "packed"\n}',
      isJson: true,
    });
  });

  it("keeps text that only looks like JSON", () => {
    expect(bubbleText({ value: "{not json", mimeType: null })).toEqual({
      text: "{not json",
      isJson: false,
    });
  });
});
