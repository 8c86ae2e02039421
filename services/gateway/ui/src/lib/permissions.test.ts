// Who may do what, the rule every control of the UI asks: the same rule as the API's policy, so
// that the UI never offers what the API would refuse, nor hides what it allows.
import { describe, expect, test } from "vitest";

import type { Role, User, Viewer } from "../api/account";
import { can, roleLabel } from "./permissions";
import type { Permission } from "./permissions";

function signedIn(role: Role): Viewer {
  const user: User = {
    id: "VXNlcjoy",
    email: "someone@example.com",
    username: "someone",
    role,
    auth_method: "LOCAL",
    password_needs_reset: false,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
  };
  return { kind: "user", user };
}

const PERMISSIONS: Permission[] = ["write", "admin", "account"];

describe("can", () => {
  test.each<[string, Viewer, Record<Permission, boolean>]>([
    // Auth off: everything as before, and no user interface (no users, no own keys).
    ["auth off", { kind: "anonymous" }, { write: true, admin: false, account: false }],
    ["a viewer", signedIn("VIEWER"), { write: false, admin: false, account: true }],
    ["a member", signedIn("MEMBER"), { write: true, admin: false, account: true }],
    ["an admin", signedIn("ADMIN"), { write: true, admin: true, account: true }],
    ["the system", signedIn("SYSTEM"), { write: true, admin: true, account: true }],
    // The API could not be asked: no control until it answers.
    ["nobody known yet", { kind: "unknown" }, { write: false, admin: false, account: false }],
  ])("%s", (_name, viewer, expected) => {
    const allowed = Object.fromEntries(
      PERMISSIONS.map((permission) => [permission, can(viewer, permission)]),
    );
    expect(allowed).toEqual(expected);
  });
});

test("roles read as words", () => {
  expect(roleLabel("ADMIN")).toBe("Admin");
  expect(roleLabel("VIEWER")).toBe("Viewer");
});
