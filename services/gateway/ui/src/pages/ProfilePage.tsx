// `/profile`: the signed-in user's own account: their email and role (an admin changes those),
// a new username, and a new password (the current one proves it is them; the API ends their
// other sessions). Refusals are shown under the form they came from, in the API's words.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";

import { changeOwnAccount, VIEWER_KEY } from "../api/account";
import type { User } from "../api/account";
import { confirmationProblem, PasswordField } from "../components/auth/AuthFrame";
import { RequirePermission, useViewer } from "../components/auth/viewer";
import { formatTime } from "../lib/format";
import { roleLabel } from "../lib/permissions";
import "../components/auth/auth.css";
import "../components/datasets/datasets.css";

function UsernameForm({ user }: { user: User }) {
  const queryClient = useQueryClient();
  const [username, setUsername] = useState(user.username);
  const save = useMutation({
    mutationFn: () => changeOwnAccount({ username: username.trim() }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: VIEWER_KEY }),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }
  const unchanged = username.trim() === user.username || !username.trim();
  return (
    <form className="panel settings-form" onSubmit={submit} aria-label="Change your username">
      <h2>Username</h2>
      <label className="field">
        Username
        <input
          type="text"
          name="username"
          value={username}
          autoComplete="username"
          onChange={(event) => setUsername(event.target.value)}
        />
      </label>
      {save.error ? (
        <p className="form-problem" role="alert">
          {save.error.message}
        </p>
      ) : null}
      <button type="submit" className="primary" disabled={save.isPending || unchanged}>
        Save the username
      </button>
    </form>
  );
}

function PasswordForm() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirmation, setConfirmation] = useState("");
  const [mismatch, setMismatch] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: () => changeOwnAccount({ current_password: current, new_password: next }),
    onSuccess: () => {
      setCurrent("");
      setNext("");
      setConfirmation("");
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    const problem = confirmationProblem(next, confirmation);
    setMismatch(problem);
    if (!problem) save.mutate();
  }
  const problem = mismatch ?? save.error?.message ?? null;
  return (
    <form className="panel settings-form" onSubmit={submit} aria-label="Change your password">
      <h2>Password</h2>
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
      {save.isSuccess ? (
        <p className="muted" role="status">
          Your password is changed; your other sessions have ended.
        </p>
      ) : null}
      <button type="submit" className="primary" disabled={save.isPending || !current || !next}>
        Change the password
      </button>
    </form>
  );
}

function Profile() {
  const viewer = useViewer();
  if (viewer.kind !== "user") return null;
  const { user } = viewer;
  return (
    <>
      <dl className="dataset-figures" data-testid="profile-figures">
        <dt>Email</dt>
        <dd>{user.email}</dd>
        <dt>Role</dt>
        <dd data-testid="profile-role">{roleLabel(user.role)}</dd>
        <dt>Member since</dt>
        <dd>{formatTime(user.created_at)}</dd>
      </dl>
      <div className="settings-columns">
        <UsernameForm key={user.username} user={user} />
        <PasswordForm />
      </div>
    </>
  );
}

export default function ProfilePage() {
  return (
    <div className="settings-page">
      <div className="page-toolbar">
        <h1>Profile</h1>
      </div>
      <RequirePermission permission="account" what="Your profile">
        <Profile />
      </RequirePermission>
    </div>
  );
}
