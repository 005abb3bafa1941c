import { iso } from '../messages/views';
import type { UserView } from './schema';
import type { UserRow } from './tables';

/** A user as answers show it: never the password hash. */
export function toUserView(row: UserRow): UserView {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    display_name: row.display_name,
    role: row.role,
    verified: row.email_verified_at !== null,
    disabled: row.disabled_at !== null,
    created_at: iso(row.created_at),
    last_login_at: iso(row.last_login_at),
  };
}
