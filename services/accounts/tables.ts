import type { ColumnType, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export const USER_ROLES = ['user', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** A person who logs in (accounts.md). */
export interface UsersTable {
  id: ColumnType<string, string | undefined, never>;
  username: string;
  email: string;
  display_name: string | null;
  /** scrypt$N$r$p$salt$hash: the parameters travel with the hash so they can be raised later. */
  password_hash: string;
  role: ColumnType<UserRole, UserRole | undefined, UserRole>;
  email_verified_at: NullableTimestamp;
  disabled_at: NullableTimestamp;
  password_changed_at: Timestamp;
  last_login_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One refresh token; the tokens one login rotated through share a family. */
export interface UserSessionsTable {
  id: ColumnType<string, string | undefined, never>;
  user_id: string;
  family_id: string;
  /** SHA-256 of the opaque token, hex. */
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  user_agent: string | null;
  ip: string | null;
}

export interface EmailVerificationsTable {
  token_hash: string;
  user_id: string;
  email: string;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface AccountTables {
  users: UsersTable;
  user_sessions: UserSessionsTable;
  email_verifications: EmailVerificationsTable;
}

export type UserRow = Selectable<UsersTable>;
export type UserSessionRow = Selectable<UserSessionsTable>;
