// The variables a template uses, found as the server finds them (spyglass_llm.templates):
// MUSTACHE `{{ name }}` (a word; `\{{ name }}` stays literal, no sections), F_STRING `{name}`,
// `{name!r}`, `{name:>10}` with `{{` and `}}` as literal braces, and NONE (no variables).

export type TemplateFormat = "MUSTACHE" | "F_STRING" | "NONE";

export const TEMPLATE_FORMATS: TemplateFormat[] = ["MUSTACHE", "F_STRING", "NONE"];

/** `{{ name }}`, not preceded by a backslash; a name is letters, digits and `_` (Unicode, as
 * Python's `\w`). */
const MUSTACHE_VARIABLE = /(?<!\\)\{\{\s*([\p{L}\p{N}_]+)\s*\}\}/gu;

function mustacheVariables(text: string): string[] {
  return [...text.matchAll(MUSTACHE_VARIABLE)].map((match) => match[1]);
}

/** The field names of a Python format string; a malformed one ends the search (the server says
 * what is wrong with it when it runs). */
function fStringVariables(text: string): string[] {
  const names: string[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index];
    if (char === "{") {
      if (text[index + 1] === "{") {
        index += 2;
        continue;
      }
      const end = text.indexOf("}", index);
      if (end < 0) break;
      const field = text.slice(index + 1, end);
      const name = field.split(/[!:]/, 1)[0].trim();
      if (name) names.push(name);
      index = end + 1;
    } else if (char === "}" && text[index + 1] === "}") {
      index += 2;
    } else {
      index += 1;
    }
  }
  return names;
}

/** The variables `text` uses in `format`, in order of first use, each once. */
export function templateVariables(text: string, format: TemplateFormat): string[] {
  if (format === "NONE") return [];
  const found = format === "MUSTACHE" ? mustacheVariables(text) : fStringVariables(text);
  return [...new Set(found)];
}

/** The variables of several texts, in order of first use, each once. */
export function variablesOf(texts: string[], format: TemplateFormat): string[] {
  return [...new Set(texts.flatMap((text) => templateVariables(text, format)))];
}
