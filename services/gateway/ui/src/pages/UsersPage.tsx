// `/settings/users` (admins): every user a page at a time, with their role (changed in place),
// a new user with a role and a first password (to be changed at their first login), a deletion
// after a confirmation, and a password reset link made for a user who lost theirs, shown once to
// copy (Spyglass sends no mail). Every refusal is shown where it happened, in the API's words:
// a taken email or username under the form, "the last admin" beside the row.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";

import type { Role, User } from "../api/account";
import {
  changeUser,
  createPasswordResetLink,
  createUser,
  deleteUser,
  USERS_KEY,
  useUsers,
} from "../api/users";
import type { NewUser, PasswordResetLink } from "../api/users";
import { OneTimeSecret } from "../components/auth/OneTimeSecret";
import { RequirePermission, useViewer } from "../components/auth/viewer";
import { Pagination } from "../components/Pagination";
import { ErrorState, Loading } from "../components/States";
import { formatTime } from "../lib/format";
import { usePager } from "../lib/pager";
import { roleLabel } from "../lib/permissions";
import "../components/auth/auth.css";
import "../components/datasets/datasets.css";

type AssignableRole = Exclude<Role, "SYSTEM">;
const ROLES: AssignableRole[] = ["VIEWER", "MEMBER", "ADMIN"];

const EMPTY_USER: NewUser = { email: "", username: "", role: "MEMBER", password: "" };

function NewUserForm() {
  const queryClient = useQueryClient();
  const [user, setUser] = useState<NewUser>(EMPTY_USER);
  const create = useMutation({
    mutationFn: createUser,
    onSuccess: async () => {
      setUser(EMPTY_USER);
      await queryClient.invalidateQueries({ queryKey: [USERS_KEY] });
    },
  });
  const set = (change: Partial<NewUser>) => setUser((previous) => ({ ...previous, ...change }));

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ ...user, email: user.email.trim(), username: user.username.trim() });
  }

  return (
    <form className="panel settings-form" onSubmit={submit} aria-label="New user">
      <h2>New user</h2>
      <div className="settings-fields">
        <label className="field">
          Email
          <input
            type="email"
            name="email"
            value={user.email}
            required
            onChange={(event) => set({ email: event.target.value })}
          />
        </label>
        <label className="field">
          Username
          <input
            type="text"
            name="username"
            value={user.username}
            required
            onChange={(event) => set({ username: event.target.value })}
          />
        </label>
        <label className="field">
          Role
          <select
            name="role"
            value={user.role}
            onChange={(event) => set({ role: event.target.value as AssignableRole })}
          >
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {roleLabel(role)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          First password
          <input
            type="password"
            name="password"
            value={user.password}
            autoComplete="new-password"
            required
            onChange={(event) => set({ password: event.target.value })}
          />
        </label>
      </div>
      <p className="muted">They choose a password of their own at their first login.</p>
      {create.error ? (
        <p className="form-problem" role="alert">
          {create.error.message}
        </p>
      ) : null}
      {create.isSuccess ? (
        <p className="muted" role="status">
          {create.data.username} can log in now.
        </p>
      ) : null}
      <button
        type="submit"
        className="primary"
        disabled={create.isPending || !user.email.trim() || !user.username.trim() || !user.password}
      >
        {create.isPending ? "Creating…" : "Create user"}
      </button>
    </form>
  );
}

function UserRow({
  user,
  isSelf,
  onResetLink,
}: {
  user: User;
  isSelf: boolean;
  onResetLink: (user: User, link: PasswordResetLink) => void;
}) {
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: [USERS_KEY] });
  const changeRole = useMutation({
    mutationFn: (role: AssignableRole) => changeUser(user.id, { role }),
    onSettled: refresh,
  });
  const remove = useMutation({ mutationFn: () => deleteUser(user.id), onSuccess: refresh });
  const reset = useMutation({
    mutationFn: () => createPasswordResetLink(user.id),
    onSuccess: (link) => onResetLink(user, link),
  });
  const problem = changeRole.error ?? remove.error ?? reset.error;
  const busy = changeRole.isPending || remove.isPending || reset.isPending;

  return (
    <tr data-testid="user-row" aria-label={user.username}>
      <td>
        {user.username}
        {isSelf ? <span className="chip">you</span> : null}
      </td>
      <td>{user.email}</td>
      <td>
        {user.role === "SYSTEM" ? (
          roleLabel(user.role)
        ) : (
          <select
            aria-label={`Role of ${user.username}`}
            value={changeRole.isPending ? (changeRole.variables ?? user.role) : user.role}
            disabled={busy}
            onChange={(event) => changeRole.mutate(event.target.value as AssignableRole)}
          >
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {roleLabel(role)}
              </option>
            ))}
          </select>
        )}
      </td>
      <td>{user.password_needs_reset ? <span className="chip">must change password</span> : ""}</td>
      <td>{formatTime(user.created_at)}</td>
      <td className="row-actions">
        <button
          type="button"
          disabled={busy}
          onClick={() => reset.mutate()}
          aria-label={`Reset the password of ${user.username}`}
        >
          Reset password
        </button>
        {isSelf ? null : (
          <button
            type="button"
            disabled={busy}
            aria-label={`Delete ${user.username}`}
            onClick={() => {
              if (
                window.confirm(`Delete the user “${user.username}”? Their API keys stop working.`)
              ) {
                remove.mutate();
              }
            }}
          >
            Delete
          </button>
        )}
        {problem ? (
          <p className="form-problem" role="alert">
            {problem.message}
          </p>
        ) : null}
      </td>
    </tr>
  );
}

function UsersList() {
  const viewer = useViewer();
  const pager = usePager("users");
  const users = useUsers(pager.after);
  const [resetLink, setResetLink] = useState<{ user: User; link: PasswordResetLink } | null>(
    null,
  );
  const selfId = viewer.kind === "user" ? viewer.user.id : null;

  if (users.isPending) return <Loading label="Loading users…" />;
  if (users.error && !users.data) return <ErrorState error={users.error} />;
  return (
    <section aria-label="Users">
      {resetLink ? (
        <OneTimeSecret
          title={`Password reset link for ${resetLink.user.username}`}
          secret={new URL(resetLink.link.url, window.location.origin).toString()}
          warning={
            <>
              Give this link to {resetLink.user.username}: it sets a new password once, until{" "}
              {formatTime(resetLink.link.expires_at)}. It is not shown again.
            </>
          }
          onDone={() => setResetLink(null)}
        />
      ) : null}
      <div className="panel">
        <table className="data" data-testid="users-table">
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Password</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.data.data.map((user) => (
              <UserRow
                key={user.id}
                user={user}
                isSelf={user.id === selfId}
                onResetLink={(owner, link) => setResetLink({ user: owner, link })}
              />
            ))}
          </tbody>
        </table>
      </div>
      <Pagination
        pager={pager}
        hasNextPage={users.data.next_cursor !== null}
        endCursor={users.data.next_cursor}
      />
    </section>
  );
}

export default function UsersPage() {
  return (
    <div className="settings-page">
      <div className="page-toolbar">
        <h1>Users</h1>
      </div>
      <RequirePermission permission="admin" what="Managing users">
        <NewUserForm />
        <UsersList />
      </RequirePermission>
    </div>
  );
}
