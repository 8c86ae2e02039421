// What the viewer may do, decided in one place: the pages ask `can(viewer, "write")` (through
// `<CanWrite>` or `useCan`) instead of looking at roles themselves. The rules mirror the API's
// policy (spyglass_auth.denial): viewers read, members also write, admins also manage users and
// system keys. The API refuses what a role may not do anyway; the UI only leaves out the controls
// that would be refused.
import type { Role, Viewer } from "../api/account";

/**
 * - `write`: create, change, delete and run things (projects' settings, datasets, prompts,
 *   evaluators, rules, experiments, the playground). Anyone when auth is off.
 * - `admin`: users and system API keys. Signed-in admins only (with auth off there are no users).
 * - `account`: one's own profile and API keys. Anyone signed in.
 */
export type Permission = "write" | "admin" | "account";

const WRITERS: ReadonlySet<Role> = new Set(["SYSTEM", "ADMIN", "MEMBER"]);
const ADMINS: ReadonlySet<Role> = new Set(["SYSTEM", "ADMIN"]);

/** Whether `viewer` may do what `permission` stands for. An `unknown` viewer (the API could not
 * be asked) may do nothing: its controls appear once the API answers. */
export function can(viewer: Viewer, permission: Permission): boolean {
  if (viewer.kind === "unknown") return false;
  if (viewer.kind === "anonymous") return permission === "write";
  const role = viewer.user.role;
  switch (permission) {
    case "write":
      return WRITERS.has(role);
    case "admin":
      return ADMINS.has(role);
    case "account":
      return true;
  }
}

/** A role as the UI names it. */
export function roleLabel(role: Role): string {
  return role.charAt(0) + role.slice(1).toLowerCase();
}
