// Users, for admins (`/v1/users`): a page of them, a new one with a role, a change of role,
// username or password, a deletion, and a one-time password reset link to hand to a user (there
// is no mail server). Refusals are `ApiError`s in the API's words: a taken email or username and
// the last admin's demotion or deletion are 409s that say why.
import { keepPreviousData, useQuery } from "@tanstack/react-query";

import type { Role, User } from "./account";
import { ApiError, restJson } from "./rest";

export const USERS_KEY = "users";

export interface UsersPage {
  data: User[];
  next_cursor: string | null;
}

/** What an admin gives a new user: the password is to be changed at their first login. */
export interface NewUser {
  email: string;
  username: string;
  role: Exclude<Role, "SYSTEM">;
  password: string;
}

/** What an admin may change of a user. */
export interface UserChange {
  role?: Exclude<Role, "SYSTEM">;
  username?: string;
  password?: string;
}

/** A one-time reset link: its token, when it stops working, and its address on this UI. */
export interface PasswordResetLink {
  token: string;
  expires_at: string;
  url: string;
}

function userPath(userId: string, rest = ""): string {
  return `/v1/users/${encodeURIComponent(userId)}${rest}`;
}

/** A page of users (`cursor` from the page before). */
export function useUsers(cursor: string | undefined, limit = 50) {
  return useQuery({
    queryKey: [USERS_KEY, cursor, limit],
    queryFn: ({ signal }) => {
      const params = new URLSearchParams({ limit: String(limit) });
      if (cursor) params.set("cursor", cursor);
      return restJson<UsersPage>("GET", `/v1/users?${params.toString()}`, undefined, signal);
    },
    placeholderData: keepPreviousData,
    retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 3,
  });
}

export async function createUser(user: NewUser): Promise<User> {
  const body = { user: { ...user, auth_method: "LOCAL" }, send_welcome_email: false };
  return (await restJson<{ data: User }>("POST", "/v1/users", body)).data;
}

export async function changeUser(userId: string, change: UserChange): Promise<void> {
  await restJson<unknown>("PATCH", userPath(userId), change);
}

export async function deleteUser(userId: string): Promise<void> {
  await restJson<null>("DELETE", userPath(userId));
}

export async function createPasswordResetLink(userId: string): Promise<PasswordResetLink> {
  return (await restJson<{ data: PasswordResetLink }>("POST", userPath(userId, "/password_reset")))
    .data;
}
