import { iso } from '../messages/views';
import type { IdentityOwner } from './identity-repository';
import type { IdentityView } from './schema';
import type { IdentityRow } from './tables';

/** Whether the identity is the owner's account email: verified with the account, never removed. */
export function isAccountIdentity(row: Pick<IdentityRow, 'address'>, owner: Pick<IdentityOwner, 'email'>): boolean {
  return row.address.toLowerCase() === owner.email.toLowerCase();
}

/** Verified by its code or a connection check, or (the account email) with the account. */
export function isVerified(row: Pick<IdentityRow, 'address' | 'verified_at'>, owner: Pick<IdentityOwner, 'email' | 'verified'>): boolean {
  return row.verified_at !== null || (isAccountIdentity(row, owner) && owner.verified);
}

/** An identity as answers show it: the password only as `password_set: true`. */
export function toIdentityView(row: IdentityRow, owner: Pick<IdentityOwner, 'email' | 'verified'>): IdentityView {
  const smtp =
    row.smtp_host === null || row.smtp_port === null || row.smtp_security === null || row.smtp_username === null
      ? null
      : { host: row.smtp_host, port: row.smtp_port, security: row.smtp_security, username: row.smtp_username, password_set: true as const };
  return {
    id: row.id,
    address: row.address,
    display_name: row.display_name,
    is_default: row.is_default,
    verified: isVerified(row, owner),
    smtp,
    last_check: row.last_check_at === null || row.last_check_result === null ? null : { at: iso(row.last_check_at), ...row.last_check_result },
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}
