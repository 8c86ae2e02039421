// `/change-password`: the password a user must change before anything else (the default admin's
// first login, or a password an admin set), with `PATCH /v1/user`. The current password proves
// it is them; the API says what it refuses in a new one. Changed, the user goes on to the page
// they were opening (`?returnTo=`). A user with nothing to change is sent there at once.
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";

import { changeOwnAccount, logOut, VIEWER_KEY } from "../api/account";
import { safeReturnTo } from "../api/session";
import { AuthFrame, confirmationProblem, PasswordField } from "../components/auth/AuthFrame";
import { useViewer } from "../components/auth/viewer";

export default function ChangePasswordPage() {
  const viewer = useViewer();
  const [searchParams] = useSearchParams();
  const returnTo = safeReturnTo(searchParams.get("returnTo"));
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirmation, setConfirmation] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  if (viewer.kind !== "user" || !viewer.user.password_needs_reset) {
    return <Navigate to={returnTo} replace />;
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const mismatch = confirmationProblem(next, confirmation);
    if (mismatch) {
      setProblem(mismatch);
      return;
    }
    setSending(true);
    setProblem(null);
    try {
      await changeOwnAccount({ current_password: current, new_password: next });
      await queryClient.invalidateQueries({ queryKey: VIEWER_KEY });
      await navigate(returnTo, { replace: true });
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
      setSending(false);
    }
  }

  async function leave() {
    await logOut().catch(() => undefined);
    await navigate("/login", { replace: true });
    queryClient.clear();
  }

  return (
    <AuthFrame title="Choose a new password">
      <p className="muted">
        Signed in as <strong>{viewer.user.username}</strong>. Your password was set for you: choose
        your own before you go on.
      </p>
      <form
        className="auth-form"
        onSubmit={(event) => void submit(event)}
        aria-label="Choose a new password"
      >
        <PasswordField
          label="Current password"
          name="current_password"
          value={current}
          onChange={setCurrent}
          autoComplete="current-password"
        />
        <PasswordField
          label="New password"
          name="new_password"
          value={next}
          onChange={setNext}
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
        <button type="submit" className="primary" disabled={sending || !current || !next}>
          {sending ? "Saving…" : "Save the new password"}
        </button>
        <button type="button" className="link-button" onClick={() => void leave()}>
          Log out
        </button>
      </form>
    </AuthFrame>
  );
}
