import { apiErrorMessage } from "./rest";

describe("apiErrorMessage", () => {
  it("reads each of the API's error shapes", () => {
    expect(apiErrorMessage(404, "Prompt nope not found")).toBe("Prompt nope not found");
    expect(apiErrorMessage(422, '{"detail": "no credential"}')).toBe("no credential");
    expect(
      apiErrorMessage(
        422,
        '{"detail": [{"loc": ["body", "prompt", "name"], "msg": "`name` must be lower-case"}]}',
      ),
    ).toBe("prompt.name: `name` must be lower-case");
    expect(
      apiErrorMessage(422, '{"error": {"message": "missing template variable(s): question"}}'),
    ).toBe("missing template variable(s): question");
    expect(apiErrorMessage(500, "")).toBe("The server answered 500.");
  });
});
