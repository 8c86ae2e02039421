// The name filter of the projects page. It keeps what is typed and reports it once typing
// pauses, so the list is not read again on every keystroke. Once the user is leaving the page
// (a card clicked: the router is loading the next page), a change still settling is dropped:
// reported, it would navigate back here and cancel the user's navigation.
import { useEffect, useEffectEvent } from "react";
import { useNavigation } from "react-router";

import { useDraft } from "../../lib/draft";

/** How long typing must pause before the filter applies, in milliseconds. */
const SETTLE_MS = 250;

export function NameFilter({
  value,
  onChange,
}: {
  value: string;
  onChange: (value: string) => void;
}) {
  // The address changed under us (back button, a link): show what it says.
  const [text, setText] = useDraft(value);
  const leaving = useNavigation().state !== "idle";
  // The newest onChange, without restarting the timer when the parent passes a new one.
  const report = useEffectEvent((settled: string) => onChange(settled));

  useEffect(() => {
    if (text === value || leaving) return undefined;
    const timer = window.setTimeout(() => report(text), SETTLE_MS);
    return () => window.clearTimeout(timer);
  }, [text, value, leaving]);

  return (
    <input
      type="search"
      className="project-filter"
      placeholder="Filter by name"
      aria-label="Filter projects by name"
      value={text}
      onChange={(event) => setText(event.target.value)}
    />
  );
}
