// A search field whose value lives in the address: it keeps what is typed and reports it once
// typing pauses, so a list is not read again on every keystroke. A change still settling when
// the user leaves the page is dropped (reported, it would navigate back here).
import { useEffect, useEffectEvent } from "react";
import { useNavigation } from "react-router";

import { useDraft } from "../../lib/draft";

/** How long typing must pause before the search applies, in milliseconds. */
const SETTLE_MS = 250;

export function SearchBox({
  value,
  onChange,
  label,
  placeholder,
}: {
  value: string;
  onChange: (value: string) => void;
  label: string;
  placeholder: string;
}) {
  const [text, setText] = useDraft(value);
  const leaving = useNavigation().state !== "idle";
  const report = useEffectEvent((settled: string) => onChange(settled));

  useEffect(() => {
    if (text === value || leaving) return undefined;
    const timer = window.setTimeout(() => report(text), SETTLE_MS);
    return () => window.clearTimeout(timer);
  }, [text, value, leaving]);

  return (
    <input
      type="search"
      className="search-box"
      placeholder={placeholder}
      aria-label={label}
      value={text}
      onChange={(event) => setText(event.target.value)}
    />
  );
}
