import type { SendingIdentity } from '../mail/identity-transports';
import type { IdentityCredentials } from './identity-credentials';
import type { IdentityRepository } from './identity-repository';

/**
 * The worker's reading of a message's identity: its SMTP settings with the password opened, and
 * a version that changes with them (so a pooled transport is never used with old credentials).
 * Undefined when the identity is gone; a password that cannot be opened throws a KeyringError.
 */
export function sendingIdentities(identities: IdentityRepository, credentials: IdentityCredentials) {
  return async (id: string): Promise<SendingIdentity | undefined> => {
    const row = await identities.findById(id);
    if (row === undefined) return undefined;
    const version = `${row.updated_at.getTime()}:${row.key_id ?? '-'}`;
    if (row.smtp_host === null || row.smtp_port === null || row.smtp_security === null || row.smtp_username === null || row.smtp_password === null || row.key_id === null) {
      return { id: row.id, version, smtp: null };
    }
    const password = credentials.open(row.id, { smtp_password: row.smtp_password, key_id: row.key_id });
    return { id: row.id, version, smtp: { host: row.smtp_host, port: row.smtp_port, security: row.smtp_security, username: row.smtp_username, password } };
  };
}
