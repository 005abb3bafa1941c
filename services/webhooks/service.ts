import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Principal } from '../auth/scopes';
import type { Db } from '../database';
import { InvalidFieldsError, NotFoundError } from '../domain/errors';
import type { Config } from '../platform/config';
import { UUID_PATTERN } from '../domain/identifiers';
import { addWebhookJobs, type WebhookQueue } from './queue';
import { checkEndpointUrl, postWebhook, type SendResult, UrlRefusedError } from './sender';
import { newWebhookSecret, webhookHeaders } from './signing';
import { WebhookSecrets } from './secrets';
import { WebhookStore } from './store';
import type { WebhookEndpointRow } from './tables';

export interface EndpointInput {
  readonly url: string;
  readonly event_types?: readonly string[];
  readonly description?: string;
}

export interface EndpointPatch {
  readonly url?: string;
  readonly event_types?: readonly string[];
  readonly description?: string;
  readonly enabled?: boolean;
  readonly rotate_secret?: boolean;
}

export interface EndpointView {
  readonly id: string;
  readonly url: string;
  readonly description: string;
  readonly event_types: readonly string[];
  readonly enabled: boolean;
  readonly disabled_reason: string | null;
  /** Until when the previous secret also signs, after a rotation. */
  readonly previous_secret_expires_at: string | null;
  readonly created_at: string;
  readonly updated_at: string;
}

/** How long the old secret keeps signing after a rotation. */
const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

function viewOf(row: WebhookEndpointRow, now = new Date()): EndpointView {
  const overlap = row.previous_secret_expires_at !== null && row.previous_secret_expires_at > now ? row.previous_secret_expires_at.toISOString() : null;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    event_types: row.event_types,
    enabled: row.enabled,
    disabled_reason: row.disabled_reason,
    previous_secret_expires_at: overlap,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** One POST of a delivery's payload, signed with the endpoint's secrets, timestamped now. */
export function sendDelivery(
  delivery: { event_id: string; payload: Record<string, unknown> },
  url: string,
  secrets: readonly string[],
  config: Config['webhooks'],
): Promise<SendResult> {
  const body = JSON.stringify(delivery.payload);
  return postWebhook(url, webhookHeaders(secrets, delivery.event_id, Math.floor(Date.now() / 1000), body), body, config);
}

/** Endpoints of one client: CRUD, rotation, the test ping, the delivery log and replays. */
export class WebhookService {
  readonly #secrets: WebhookSecrets;
  readonly #store: WebhookStore;

  constructor(
    private readonly db: Db,
    private readonly queue: WebhookQueue,
    private readonly config: Pick<Config, 'webhooks' | 'credentialsKeys'>,
  ) {
    this.#secrets = new WebhookSecrets(config);
    this.#store = new WebhookStore(db);
  }

  async #checkUrl(url: string): Promise<void> {
    try {
      await checkEndpointUrl(url, this.config.webhooks);
    } catch (error) {
      if (error instanceof UrlRefusedError) throw new InvalidFieldsError([{ field: 'url', message: error.message }]);
      throw error;
    }
  }

  async #own(principal: Principal, id: string): Promise<WebhookEndpointRow> {
    const row = UUID_PATTERN.test(id)
      ? await this.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).where('client_id', '=', principal.clientId).executeTakeFirst()
      : undefined;
    if (row === undefined) throw new NotFoundError('No webhook endpoint with this id.');
    return row;
  }

  async create(principal: Principal, input: EndpointInput): Promise<EndpointView & { secret: string }> {
    await this.#checkUrl(input.url);
    const id = randomUUID();
    const secret = newWebhookSecret();
    const row = await this.db
      .insertInto('webhook_endpoints')
      .values({
        id,
        client_id: principal.clientId,
        url: input.url,
        description: input.description ?? '',
        event_types: [...(input.event_types ?? [])],
        ...this.#secrets.seal(id, secret),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { ...viewOf(row), secret };
  }

  async list(principal: Principal): Promise<EndpointView[]> {
    const rows = await this.db.selectFrom('webhook_endpoints').selectAll().where('client_id', '=', principal.clientId).orderBy('created_at').execute();
    return rows.map((row) => viewOf(row));
  }

  async get(principal: Principal, id: string): Promise<EndpointView> {
    return viewOf(await this.#own(principal, id));
  }

  /** `rotate_secret` answers the new secret once; the old one signs too for 24 h. */
  async update(principal: Principal, id: string, patch: EndpointPatch): Promise<EndpointView & { secret?: string }> {
    const current = await this.#own(principal, id);
    if (patch.url !== undefined) await this.#checkUrl(patch.url);
    const secret = patch.rotate_secret === true ? newWebhookSecret() : undefined;
    const rotation =
      secret === undefined
        ? {}
        : {
            ...this.#secrets.seal(id, secret),
            previous_secret_ciphertext: current.secret_ciphertext,
            previous_secret_key_id: current.secret_key_id,
            previous_secret_expires_at: new Date(Date.now() + ROTATION_OVERLAP_MS),
          };
    const reenabled = patch.enabled === true && !current.enabled ? { disabled_reason: null, failing_since: null } : {};
    const row = await this.db
      .updateTable('webhook_endpoints')
      .set({
        ...(patch.url === undefined ? {} : { url: patch.url }),
        ...(patch.event_types === undefined ? {} : { event_types: [...patch.event_types] }),
        ...(patch.description === undefined ? {} : { description: patch.description }),
        ...(patch.enabled === undefined ? {} : { enabled: patch.enabled }),
        ...(patch.enabled === false && current.enabled ? { disabled_reason: 'disabled by its owner' } : {}),
        ...reenabled,
        ...rotation,
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return secret === undefined ? viewOf(row) : { ...viewOf(row), secret };
  }

  async delete(principal: Principal, id: string): Promise<void> {
    await this.#own(principal, id);
    await this.db.deleteFrom('webhook_endpoints').where('id', '=', id).execute();
  }

  /** Sends a `webhook.test` event now, logged like any delivery, and answers what the receiver said. */
  async test(principal: Principal, id: string): Promise<{ delivery_id: string; ok: boolean; status_code: number | null; duration_ms: number; error: string | null }> {
    const endpoint = await this.#own(principal, id);
    const eventId = `evt_test_${randomUUID().replaceAll('-', '')}`;
    const payload = { type: 'webhook.test', timestamp: new Date().toISOString(), data: { endpoint_id: id } };
    const delivery = await this.db
      .insertInto('webhook_deliveries')
      .values({ endpoint_id: id, event_id: eventId, type: 'webhook.test', payload: JSON.stringify(payload), next_attempt_at: null })
      .returning(['id'])
      .executeTakeFirstOrThrow();
    const result = await sendDelivery({ event_id: eventId, payload }, endpoint.url, this.#secrets.signingSecrets(endpoint), this.config.webhooks);
    const ok = result.statusCode !== undefined && result.statusCode >= 200 && result.statusCode < 300;
    // A ping is not retried and does not count towards disabling the endpoint.
    await sql`
      with d as (
        update webhook_deliveries set attempt = 1, status = ${ok ? 'delivered' : 'failed'}, response_code = ${result.statusCode ?? null},
               duration_ms = ${result.durationMs}, error = ${result.error ?? null}, delivered_at = ${ok ? new Date() : null}, updated_at = now()
         where id = ${delivery.id} returning id
      )
      insert into webhook_attempts (delivery_id, attempt, response_code, duration_ms, error)
      select id, 1, ${result.statusCode ?? null}, ${result.durationMs}, ${result.error ?? null} from d`.execute(this.db);
    return { delivery_id: delivery.id, ok, status_code: result.statusCode ?? null, duration_ms: result.durationMs, error: result.error ?? null };
  }

  /** The delivery log, newest first, each with its tries. */
  async deliveries(principal: Principal, id: string, limit = 100): Promise<Record<string, unknown>[]> {
    await this.#own(principal, id);
    const rows = await this.db
      .selectFrom('webhook_deliveries as d')
      .select([
        'd.id',
        'd.event_id',
        'd.type',
        'd.attempt',
        'd.status',
        'd.response_code',
        'd.duration_ms',
        'd.error',
        'd.next_attempt_at',
        'd.delivered_at',
        'd.created_at',
      ])
      .select(
        sql<{ attempt: number; response_code: number | null; duration_ms: number; error: string | null; at: string }[]>`coalesce((
          select jsonb_agg(jsonb_build_object('attempt', a.attempt, 'response_code', a.response_code, 'duration_ms', a.duration_ms, 'error', a.error, 'at', a.at) order by a.id)
            from webhook_attempts a where a.delivery_id = d.id), '[]'::jsonb)`.as('attempts'),
      )
      .where('d.endpoint_id', '=', id)
      .orderBy('d.created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      ...row,
      next_attempt_at: row.next_attempt_at?.toISOString() ?? null,
      delivered_at: row.delivered_at?.toISOString() ?? null,
      created_at: row.created_at.toISOString(),
    }));
  }

  /** Sends a delivery again, whatever became of it: the same event id, a fresh try. */
  async replay(principal: Principal, id: string, deliveryId: string): Promise<{ id: string; status: 'pending' }> {
    await this.#own(principal, id);
    const row = UUID_PATTERN.test(deliveryId)
      ? await this.db
          .updateTable('webhook_deliveries')
          .set({ status: 'pending', next_attempt_at: new Date(), updated_at: new Date() })
          .where('id', '=', deliveryId)
          .where('endpoint_id', '=', id)
          .returning(['id', 'attempt'])
          .executeTakeFirst()
      : undefined;
    if (row === undefined) throw new NotFoundError('No delivery with this id for this endpoint.');
    // Redis down: the row is pending and due, and the sweeper adds its job.
    await addWebhookJobs(this.queue, [{ deliveryId: row.id, attempt: row.attempt }]).catch(() => undefined);
    return { id: row.id, status: 'pending' };
  }

  get store(): WebhookStore {
    return this.#store;
  }
}
