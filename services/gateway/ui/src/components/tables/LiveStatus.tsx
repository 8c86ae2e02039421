// The line above a live list that says whether it is following new rows, so a list that stopped
// updating (a later page, a refused filter) never passes for one that is simply quiet.
import "./tables.css";

export interface LiveStatusProps {
  /** What the rows are, plural ("traces", "sessions", "turns"). */
  noun: string;
  /** The answer shown is the previous request's, while the new one loads. */
  updating: boolean;
  /** The page shown, from 0; a later page does not update. */
  pageIndex: number;
  /** The list polls for new rows (`useLiveListQuery`'s `live`). */
  live: boolean;
}

export function LiveStatus({ noun, updating, pageIndex, live }: LiveStatusProps) {
  let text: string | null = null;
  if (updating) text = "Loading…";
  else if (pageIndex > 0) {
    text = `Not updating on page ${pageIndex + 1}: go back to page 1 for new ${noun}`;
  } else if (live) text = `Live: new ${noun} appear as they arrive`;
  return (
    <span className="list-live" data-testid="live-status">
      {text}
    </span>
  );
}
