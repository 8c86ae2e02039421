import { fieldErrorsOf } from "./evaluationRules";

describe("fieldErrorsOf", () => {
  it("keys each complaint of a 422 by its field, without the body", () => {
    const body = JSON.stringify({
      detail: [
        {
          loc: ["body", "filter"],
          msg: "Invalid filter expression at line 1, column 1: unknown name 'span_kin'",
          type: "value_error",
        },
        { loc: ["body", "input_mapping", "question"], msg: "a path starts with ...", type: "x" },
      ],
    });
    expect(fieldErrorsOf(body)).toEqual({
      filter: "Invalid filter expression at line 1, column 1: unknown name 'span_kin'",
      "input_mapping.question": "a path starts with ...",
    });
  });

  it("keeps the first complaint of a field, and names a query parameter by its name", () => {
    const body = JSON.stringify({
      detail: [
        { loc: ["query", "state"], msg: "`state` must be one of PENDING, ..." },
        { loc: ["body", "sampling_rate"], msg: "first" },
        { loc: ["body", "sampling_rate"], msg: "second" },
      ],
    });
    expect(fieldErrorsOf(body)).toEqual({
      state: "`state` must be one of PENDING, ...",
      sampling_rate: "first",
    });
  });

  it("finds no field in a plain-text or unlocated answer", () => {
    expect(fieldErrorsOf("Evaluation rule x not found")).toEqual({});
    expect(fieldErrorsOf('{"detail": "no such evaluator"}')).toEqual({});
    expect(fieldErrorsOf('{"detail": [{"loc": ["body"], "msg": "bad body"}]}')).toEqual({});
    expect(fieldErrorsOf("null")).toEqual({});
  });
});
