// A secret the server shows once (a new API key, a password reset link): in full, with a copy
// button and a warning that it can't be seen again, until the user says they have it.
import { useState } from "react";
import type { ReactNode } from "react";


export function OneTimeSecret({
  title,
  secret,
  warning,
  onDone,
}: {
  title: string;
  secret: string;
  warning: ReactNode;
  onDone: () => void;
}) {
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied("yes");
    } catch {
      setCopied("no");
    }
  }

  return (
    <section className="panel one-time-secret" aria-label={title} data-testid="one-time-secret">
      <h3>{title}</h3>
      <p className="banner-note" role="note">
        {warning}
      </p>
      <div className="secret-row">
        <input
          type="text"
          readOnly
          value={secret}
          aria-label={title}
          data-testid="secret-value"
          onFocus={(event) => event.target.select()}
        />
        <button type="button" className="primary" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
      {copied === "yes" ? <p className="muted" role="status">Copied.</p> : null}
      {copied === "no" ? (
        <p className="form-problem" role="status">
          The browser did not let the page copy: select the text and copy it yourself.
        </p>
      ) : null}
    </section>
  );
}
