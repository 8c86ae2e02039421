// The text of an input that edits a value kept elsewhere (the address): it starts from the
// value, the user edits it freely, and a new value (a link followed, Back pressed, Clear)
// replaces what is being typed.
import { useState } from "react";
import type { Dispatch, SetStateAction } from "react";

/** A draft of `value` that follows `value`'s changes. The draft is replaced during the render
 * that sees a new value (React's "adjusting state when a prop changes"), not by an effect, so
 * no frame ever shows the old draft beside the new value. */
export function useDraft(value: string): [string, Dispatch<SetStateAction<string>>] {
  const [draft, setDraft] = useState(value);
  const [followed, setFollowed] = useState(value);
  if (value !== followed) {
    setFollowed(value);
    setDraft(value);
  }
  return [draft, setDraft];
}
