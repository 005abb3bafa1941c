import { sql } from 'kysely';
import type { TryOutcome } from '../domain/try-outcomes';

/** One provider try, as a `delivery_attempts` row records it. */
export interface TryRecord {
  readonly provider: string;
  readonly outcome: TryOutcome;
  readonly error?: string;
  readonly durationMs: number;
}

/** The tries of one attempt of one message. */
export interface AttemptRecord {
  readonly messageId: string;
  readonly attempt: number;
  /** The sender identity the message went out as, named on each of its tries. */
  readonly identityId?: string | null;
  readonly tries: readonly TryRecord[];
}

/**
 * An INSERT of the tries of the given attempts, only for the messages named by the CTE
 * `written` (the rows the transition actually changed): a write from a stale claim
 * records nothing. Meant as one CTE of the transition's own statement.
 */
export function insertTries(attempts: readonly AttemptRecord[]) {
  const tries = attempts.flatMap((a) => a.tries.map((t) => ({ ...t, messageId: a.messageId, attempt: a.attempt, identityId: a.identityId ?? null })));
  return sql`
    insert into delivery_attempts (message_id, attempt, provider, identity_id, outcome, error, duration_ms)
    select a.message_id, a.attempt, a.provider, a.identity_id, a.outcome, a.error, a.duration_ms
      from unnest(
        ${tries.map((t) => t.messageId)}::uuid[], ${tries.map((t) => t.attempt)}::int[], ${tries.map((t) => t.provider)}::text[],
        ${tries.map((t) => t.identityId)}::uuid[], ${tries.map((t) => t.outcome)}::text[], ${tries.map((t) => t.error ?? null)}::text[],
        ${tries.map((t) => Math.round(t.durationMs))}::int[]
      ) as a(message_id, attempt, provider, identity_id, outcome, error, duration_ms)
      join written w on w.id = a.message_id`;
}

/** A claim held by a worker: the row id and the token its outcome writes must present. */
export interface Claim {
  readonly id: string;
  readonly token: string;
}
