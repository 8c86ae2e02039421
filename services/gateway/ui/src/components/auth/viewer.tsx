// The viewer for every component under the app's frame, and the one way a component asks what it
// may show: `useCan("write")` or `<CanWrite>…</CanWrite>` around a control. Outside a provider
// (a component's unit test) the viewer is `anonymous`: auth off, every control shown, as before.
import { createContext, useContext } from "react";
import type { ReactNode } from "react";

import type { Viewer } from "../../api/account";
import { can } from "../../lib/permissions";
import type { Permission } from "../../lib/permissions";
import { EmptyState } from "../States";

const ANONYMOUS: Viewer = { kind: "anonymous" };

export const ViewerContext = createContext<Viewer>(ANONYMOUS);

/** Who is using the UI (see `Viewer`). */
export function useViewer(): Viewer {
  return useContext(ViewerContext);
}

/** Whether the viewer may do what `permission` stands for. */
export function useCan(permission: Permission): boolean {
  return can(useViewer(), permission);
}

/** `children` if the viewer has `permission`, else `fallback` (nothing by default). */
export function Can({
  permission,
  children,
  fallback = null,
}: {
  permission: Permission;
  children: ReactNode;
  fallback?: ReactNode;
}) {
  return useCan(permission) ? children : fallback;
}

/** `children` if the viewer may write (create, change, delete, run), else `fallback`. */
export function CanWrite({ children, fallback }: { children: ReactNode; fallback?: ReactNode }) {
  return (
    <Can permission="write" fallback={fallback}>
      {children}
    </Can>
  );
}

/** A page only some roles may use: the page itself, or a sentence saying why it isn't there. */
export function RequirePermission({
  permission,
  what,
  children,
}: {
  permission: Permission;
  /** What the page does, to say who may ("Managing users"). */
  what: string;
  children: ReactNode;
}) {
  const viewer = useViewer();
  if (viewer.kind === "unknown") {
    return (
      <EmptyState title={`${what} waits for Spyglass`}>
        The query service does not answer yet, so your role is not known.
      </EmptyState>
    );
  }
  if (!can(viewer, permission)) {
    return (
      <EmptyState title={`${what} is not open to you`}>
        {permission === "admin"
          ? "Only admins can do this."
          : permission === "write"
            ? "Your role can look but not change: ask an admin for the member role."
            : "Log in to do this."}
      </EmptyState>
    );
  }
  return children;
}
