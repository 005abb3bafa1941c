import type { Db } from '../database';
import type { IdentityCredentials } from './identity-credentials';

const BATCH = 200;

/**
 * `herald credentials rotate` for identities: every SMTP password not sealed under the first key
 * of CREDENTIALS_KEYS is opened and sealed again under it, a batch at a time. A row changed
 * meanwhile (its ciphertext no longer the one read) is left to its writer, who sealed it with
 * the current key already. Returns how many were re-sealed.
 */
export async function rotateIdentityCredentials(db: Db, credentials: IdentityCredentials): Promise<number> {
  const current = credentials.currentKeyId;
  let rotated = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await db
      .selectFrom('sender_identities')
      .select(['id', 'smtp_password', 'key_id'])
      .where('key_id', 'is not', null)
      .where('key_id', '!=', current)
      .where('id', '>', after)
      .orderBy('id')
      .limit(BATCH)
      .execute();
    for (const row of rows) {
      if (row.smtp_password === null || row.key_id === null) continue;
      const sealed = credentials.seal(row.id, credentials.open(row.id, { smtp_password: row.smtp_password, key_id: row.key_id }));
      const written = await db
        .updateTable('sender_identities')
        .set(sealed)
        .where('id', '=', row.id)
        .where('smtp_password', '=', row.smtp_password)
        .executeTakeFirst();
      rotated += Number(written.numUpdatedRows);
    }
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < BATCH) return rotated;
    after = last.id;
  }
}
