// The frame of the pages shown before the app (login, a reset link, a forced password change):
// the brand and one card, no navigation.
import type { ReactNode } from "react";

import "./auth.css";

export function AuthFrame({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="auth-page">
      <div className="auth-card panel">
        <div className="auth-brand">Spyglass</div>
        <h1>{title}</h1>
        {children}
      </div>
    </div>
  );
}

/** A password field, labelled, with what the browser should fill in it. */
export function PasswordField({
  label,
  value,
  onChange,
  autoComplete,
  name,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  autoComplete: "current-password" | "new-password";
  name: string;
}) {
  return (
    <label className="field">
      {label}
      <input
        type="password"
        name={name}
        value={value}
        autoComplete={autoComplete}
        required
        onChange={(event) => onChange(event.target.value)}
      />
    </label>
  );
}

/** Why a new password and its confirmation can't be sent yet, or null. The API checks the
 * password itself (its length); this only catches a typo in the second field. */
export function confirmationProblem(password: string, confirmation: string): string | null {
  return password === confirmation ? null : "The two passwords are not the same.";
}
