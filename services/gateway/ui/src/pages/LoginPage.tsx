// `/login`: an email or a username and a password (`POST /auth/login`). A refusal is shown as the
// API words it (a wrong password and an unknown user read the same); too many attempts say how
// long to wait. Signed in, the user goes back where they came from (`?returnTo=`), or first to the
// change of a password that must be changed. With auth off there is nothing to sign in to: the
// page sends on at once.
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";

import { fetchViewer, logIn, loginProblem, useViewerQuery, VIEWER_KEY } from "../api/account";
import { safeReturnTo } from "../api/session";
import { AuthFrame, PasswordField } from "../components/auth/AuthFrame";
import { CHANGE_PASSWORD_PATH } from "../components/auth/ViewerGate";

export default function LoginPage() {
  const [searchParams] = useSearchParams();
  const returnTo = safeReturnTo(searchParams.get("returnTo"));
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const viewer = useViewerQuery();
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  if (viewer.data?.kind === "anonymous") return <Navigate to={returnTo} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSending(true);
    setProblem(null);
    try {
      await logIn(login.trim(), password);
      // Nothing read as somebody else (or as nobody) may show now.
      queryClient.clear();
      const signedIn = await fetchViewer();
      queryClient.setQueryData(VIEWER_KEY, signedIn);
      const mustChange = signedIn.kind === "user" && signedIn.user.password_needs_reset;
      await navigate(
        mustChange
          ? `${CHANGE_PASSWORD_PATH}?returnTo=${encodeURIComponent(returnTo)}`
          : returnTo,
        { replace: true },
      );
    } catch (error) {
      setProblem(loginProblem(error));
      setPassword("");
      setSending(false);
    }
  }

  return (
    <AuthFrame title="Log in">
      <form className="auth-form" onSubmit={(event) => void submit(event)} aria-label="Log in">
        <label className="field">
          Email or username
          <input
            type="text"
            name="login"
            value={login}
            autoComplete="username"
            autoFocus
            required
            onChange={(event) => setLogin(event.target.value)}
          />
        </label>
        <PasswordField
          label="Password"
          name="password"
          value={password}
          onChange={setPassword}
          autoComplete="current-password"
        />
        {problem ? (
          <p className="form-problem" role="alert" data-testid="login-problem">
            {problem}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={sending || !login.trim() || !password}>
          {sending ? "Logging in…" : "Log in"}
        </button>
        <p className="muted auth-note">
          Forgot your password? Ask an admin for a reset link: Spyglass sends no mail.
        </p>
      </form>
    </AuthFrame>
  );
}
