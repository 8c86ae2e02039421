// The pieces the evaluator forms share: a field's message (beside the field it names, so a
// test can find it by `problem-<field>`), and a code editor with line numbers that marks the
// line a problem names.
import { useRef } from "react";
import type { KeyboardEvent } from "react";

/** A field's problem, under it; nothing when there is none. */
export function FieldProblem({ field, text }: { field: string; text: string | undefined }) {
  if (!text) return null;
  return (
    <span className="field-problem" data-testid={`problem-${field}`}>
      {text}
    </span>
  );
}

/** The problems of a form that no field of it shows. */
export function FormProblems({ texts, title }: { texts: readonly string[]; title: string }) {
  if (texts.length === 0) return null;
  return (
    <div className="form-problem" role="alert">
      <strong>{title}</strong>
      {texts.map((text) => (
        <div key={text}>{text}</div>
      ))}
    </div>
  );
}

const INDENT = "    ";

/** A monospace editor for Python: line numbers beside it, the line `problemLine` marked, Tab
 * indenting rather than leaving the field. */
export function CodeEditor({
  label,
  value,
  problemLine,
  invalid,
  onChange,
}: {
  label: string;
  value: string;
  problemLine: number | null;
  invalid: boolean;
  onChange: (value: string) => void;
}) {
  const gutter = useRef<HTMLDivElement>(null);
  const lines = value.split("\n").length;

  function indent(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key !== "Tab" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    event.preventDefault();
    const area = event.currentTarget;
    const { selectionStart, selectionEnd } = area;
    onChange(value.slice(0, selectionStart) + INDENT + value.slice(selectionEnd));
    const caret = selectionStart + INDENT.length;
    requestAnimationFrame(() => area.setSelectionRange(caret, caret));
  }

  return (
    <div className={`code-editor${invalid ? " invalid" : ""}`}>
      <div className="code-gutter" ref={gutter} aria-hidden="true">
        {Array.from({ length: lines }, (_, index) => {
          const marked = index + 1 === problemLine;
          return (
            <div
              key={index}
              className={marked ? "code-line-problem" : undefined}
              data-testid={marked ? "code-problem-line" : undefined}
            >
              {index + 1}
            </div>
          );
        })}
      </div>
      <textarea
        aria-label={label}
        aria-invalid={invalid}
        value={value}
        spellCheck={false}
        autoCapitalize="off"
        autoCorrect="off"
        wrap="off"
        rows={Math.max(10, Math.min(30, lines + 1))}
        onChange={(event) => onChange(event.target.value)}
        onKeyDown={indent}
        onScroll={(event) => {
          if (gutter.current) gutter.current.scrollTop = event.currentTarget.scrollTop;
        }}
      />
    </div>
  );
}

/** Names as code, separated by commas: `output`, `expected`. */
export function CodeList({ names }: { names: readonly string[] }) {
  return (
    <>
      {names.map((name, index) => (
        <span key={name}>
          {index ? ", " : ""}
          <code>{name}</code>
        </span>
      ))}
    </>
  );
}
