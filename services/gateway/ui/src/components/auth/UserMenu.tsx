// The signed-in user at the right of the header: their name and role, links to their settings
// (the Users page for admins only) and "Log out". With auth off there is nobody to show.
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { NavLink, useNavigate } from "react-router";

import { logOut } from "../../api/account";
import { roleLabel } from "../../lib/permissions";
import { Can, useViewer } from "./viewer";

export function UserMenu() {
  const viewer = useViewer();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [problem, setProblem] = useState<string | null>(null);
  const [leaving, setLeaving] = useState(false);
  if (viewer.kind !== "user") return null;
  const { user } = viewer;

  async function leave() {
    setLeaving(true);
    try {
      await logOut();
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
      setLeaving(false);
      return;
    }
    await navigate("/login", { replace: true });
    queryClient.clear();
  }

  return (
    <div className="user-menu" data-testid="user-menu">
      <nav className="app-nav" aria-label="Settings">
        <Can permission="admin">
          <NavLink to="/settings/users">Users</NavLink>
        </Can>
        <NavLink to="/settings/api-keys">API keys</NavLink>
      </nav>
      <NavLink to="/profile" className="current-user" data-testid="current-user">
        {user.username} <span className="role-chip">{roleLabel(user.role)}</span>
      </NavLink>
      <button type="button" className="header-button" onClick={() => void leave()} disabled={leaving}>
        Log out
      </button>
      {problem ? (
        <span className="header-problem" role="alert">
          {problem}
        </span>
      ) : null}
    </div>
  );
}
