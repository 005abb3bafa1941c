import type { ColumnType, Selectable } from 'kysely';
import type { SmtpSecurity } from '../mail/identity-transports';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** What the last connection check of an identity's server came to (never a secret). */
export interface CheckResult {
  readonly ok: boolean;
  readonly error_class: string | null;
  readonly detail: string;
}

/**
 * An address a user sends as (accounts.md), with its own SMTP server when it has one. The
 * password is sealed under CREDENTIALS_KEYS with the row id and key id as additional data.
 */
export interface SenderIdentitiesTable {
  id: ColumnType<string, string | undefined, never>;
  user_id: string;
  address: string;
  display_name: string | null;
  is_default: ColumnType<boolean, boolean | undefined, boolean>;
  smtp_host: string | null;
  smtp_port: number | null;
  smtp_security: SmtpSecurity | null;
  smtp_username: string | null;
  /** Ciphertext (platform/crypto.ts), never the password. */
  smtp_password: string | null;
  key_id: string | null;
  verified_at: NullableTimestamp;
  /** SHA-256 of the code mailed to the address, while one is outstanding. */
  verify_code_hash: string | null;
  verify_expires_at: NullableTimestamp;
  last_check_at: NullableTimestamp;
  last_check_result: ColumnType<CheckResult | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface IdentityTables {
  sender_identities: SenderIdentitiesTable;
}

export type IdentityRow = Selectable<SenderIdentitiesTable>;
