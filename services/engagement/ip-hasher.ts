import { createHmac } from 'node:crypto';
import type { Db } from '../database';

/**
 * Engagement events keep a keyed hash of the requester's IP, never the IP: HMAC-SHA256 with the
 * installation's salt (one row written by the migration, read once per process), so the same
 * address hashes alike in every process while a hash cannot be reversed by hashing all IPv4s.
 */
export class IpHasher {
  #salt: Promise<string> | undefined;

  constructor(private readonly db: Db) {}

  async hash(ip: string | undefined): Promise<string | null> {
    if (ip === undefined || ip === '') return null;
    return createHmac('sha256', await this.salt()).update(ip).digest('hex').slice(0, 32);
  }

  private salt(): Promise<string> {
    this.#salt ??= this.db
      .selectFrom('tracking_salt')
      .select('salt')
      .executeTakeFirstOrThrow()
      .then((row) => row.salt);
    // A failed read is tried again by the next request rather than remembered.
    this.#salt.catch(() => {
      this.#salt = undefined;
    });
    return this.#salt;
  }
}
