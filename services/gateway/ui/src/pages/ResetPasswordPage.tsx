// `/reset-password-with-token?token=…`: the page a reset link an admin handed out opens. A new
// password, twice, sent with the link's token (`POST /auth/password-reset`); the API says when
// the link is used, expired or invalid, or what it refuses in the password. Done, the user logs
// in with it.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";
import { Link, useSearchParams } from "react-router";

import { resetPassword } from "../api/account";
import { AuthFrame, confirmationProblem, PasswordField } from "../components/auth/AuthFrame";

export default function ResetPasswordPage() {
  const [searchParams] = useSearchParams();
  const token = searchParams.get("token") ?? "";
  const [password, setPassword] = useState("");
  const [confirmation, setConfirmation] = useState("");
  const [mismatch, setMismatch] = useState<string | null>(null);
  const reset = useMutation({ mutationFn: () => resetPassword(token, password) });

  if (!token) {
    return (
      <AuthFrame title="Reset your password">
        <p className="form-problem" role="alert">
          This address has no reset token: open the whole link an admin gave you.
        </p>
        <Link to="/login">Log in</Link>
      </AuthFrame>
    );
  }
  if (reset.isSuccess) {
    return (
      <AuthFrame title="Your password is set">
        <p role="status">Log in with your new password.</p>
        <Link className="button primary" to="/login">
          Log in
        </Link>
      </AuthFrame>
    );
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const problem = confirmationProblem(password, confirmation);
    setMismatch(problem);
    if (!problem) reset.mutate();
  }

  const problem = mismatch ?? reset.error?.message ?? null;
  return (
    <AuthFrame title="Reset your password">
      <form className="auth-form" onSubmit={submit} aria-label="Reset your password">
        <PasswordField
          label="New password"
          name="password"
          value={password}
          onChange={setPassword}
          autoComplete="new-password"
        />
        <PasswordField
          label="New password again"
          name="confirmation"
          value={confirmation}
          onChange={setConfirmation}
          autoComplete="new-password"
        />
        {problem ? (
          <p className="form-problem" role="alert">
            {problem}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={reset.isPending || !password}>
          {reset.isPending ? "Saving…" : "Set the password"}
        </button>
      </form>
    </AuthFrame>
  );
}
