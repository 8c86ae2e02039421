import { templateVariables, variablesOf } from "./templates";

describe("templateVariables", () => {
  it("finds mustache variables as the server does", () => {
    const text = "Hi {{ name }}, {{name}} {{topic}} \\{{ literal }}";
    expect(templateVariables(text, "MUSTACHE")).toEqual(["name", "topic"]);
    expect(templateVariables("{{#section}} {{ two words }} {{ café }}", "MUSTACHE")).toEqual([
      "café",
    ]);
  });

  it("finds f-string fields, with conversions and specs, skipping doubled braces", () => {
    const text = "{a} {b!r} {c:>10} {{not}} {a}";
    expect(templateVariables(text, "F_STRING")).toEqual(["a", "b", "c"]);
    expect(templateVariables('JSON: {{"k": 1}} and {x', "F_STRING")).toEqual([]);
  });

  it("finds none without a format", () => {
    expect(templateVariables("{{ name }} {name}", "NONE")).toEqual([]);
  });

  it("unites several texts in order of first use", () => {
    expect(variablesOf(["{{b}} {{a}}", "{{a}} {{c}}"], "MUSTACHE")).toEqual(["b", "a", "c"]);
  });
});
