import { sql } from 'kysely';
import type { Db } from '../database';
import type { WebhookSecrets } from './secrets';

const BATCH = 200;

/**
 * `herald credentials rotate` for webhook endpoints, which share the keyring: the current and
 * previous secrets of every endpoint with one not under the first key are sealed again under it.
 */
export async function rotateWebhookSecrets(db: Db, secrets: WebhookSecrets): Promise<number> {
  const current = secrets.currentKeyId;
  let rotated = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await db
      .selectFrom('webhook_endpoints')
      .select(['id', 'secret_ciphertext', 'secret_key_id', 'previous_secret_ciphertext', 'previous_secret_key_id'])
      .where((eb) => eb.or([eb('secret_key_id', '!=', current), eb(sql<string>`coalesce(previous_secret_key_id, ${current})`, '!=', current)]))
      .where('id', '>', after)
      .orderBy('id')
      .limit(BATCH)
      .execute();
    for (const row of rows) {
      const written = await db
        .updateTable('webhook_endpoints')
        .set(secrets.resealed(row))
        .where('id', '=', row.id)
        .where('secret_ciphertext', '=', row.secret_ciphertext)
        .executeTakeFirst();
      rotated += Number(written.numUpdatedRows);
    }
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < BATCH) return rotated;
    after = last.id;
  }
}
