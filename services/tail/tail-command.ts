import { parseArgs } from 'node:util';
import type { Config } from '../platform/config';
import { MESSAGE_KINDS, type MessageKind } from '../domain/message-kinds';
import { IDENTITY_SMTP, PROVIDER_NAMES } from '../domain/provider-names';
import { createRedis } from '../platform/redis';
import { type DeliveryEventFilter, DeliveryEventReader, parseSince } from './delivery-event-reader';
import type { DeliveryEvent } from './delivery-events';

export const TAIL_USAGE = `herald tail [--json] [--kind K] [--status S] [--provider P] [--id ID] [--since T]

  Follows delivery attempts and webhook tries from every worker as they happen.
  --json          one JSON object per line, for piping (to jq, for instance)
  --kind K        contact or notification
  --status S      sent, transient, permanent (the attempt) or retrying, failed (the message)
  --provider P    smtp, sendgrid, mailgun, outbox, smtp:identity (any provider tried in the attempt), or webhook (webhook tries)
  --id ID         one message, by id or the start of it
  --since T       start from the past: 10m, 2h, 1d, or an ISO time (default: only new attempts)`;

export interface TailOptions {
  readonly json: boolean;
  readonly filter: DeliveryEventFilter;
  /** Raw `--since` text; resolved against Redis's clock when the tail starts. */
  readonly since?: string;
}

const STATUSES = ['sent', 'transient', 'permanent', 'retrying', 'failed'];

function oneOf(name: string, value: string | undefined, allowed: readonly string[]): string | undefined {
  if (value === undefined || allowed.includes(value)) return value;
  throw new Error(`--${name} must be one of ${allowed.join(', ')}`);
}

/** Parses `herald tail` arguments; throws an Error whose message is meant for the user. */
export function parseTailArgs(args: readonly string[]): TailOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        json: { type: 'boolean', default: false },
        kind: { type: 'string' },
        status: { type: 'string' },
        provider: { type: 'string' },
        id: { type: 'string' },
        since: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n\n${TAIL_USAGE}`, { cause: error });
  }
  if (values.since !== undefined && parseSince(values.since, Date.now()) === undefined) {
    throw new Error('--since must be a duration such as 30s, 10m, 2h, 1d, or an ISO time');
  }
  if (values.id !== undefined && !/^[0-9a-f-]{1,36}$/i.test(values.id)) throw new Error('--id must be a message id or the start of one');
  return {
    json: values.json,
    since: values.since,
    filter: {
      kind: oneOf('kind', values.kind, MESSAGE_KINDS) as MessageKind | undefined,
      status: oneOf('status', values.status, STATUSES),
      provider: oneOf('provider', values.provider, [...PROVIDER_NAMES, IDENTITY_SMTP, 'webhook']),
      id: values.id,
    },
  };
}

/** One event as an operator reads it: time, status, kind, id, attempt, each provider try, duration. */
export function formatEvent(event: DeliveryEvent): string {
  const tries = event.tries.map((entry) => `${entry.provider} ${entry.outcome}${entry.errorClass === null ? '' : ` (${entry.errorClass})`} ${entry.durationMs}ms`);
  return [
    event.at,
    event.status.padEnd(8),
    event.kind.padEnd(12),
    event.messageId,
    `attempt ${event.attempt}/${event.maxAttempts}`,
    tries.length > 0 ? tries.join(' -> ') : `no provider (${event.errorClass ?? 'none'})`,
    ...(event.webhook === undefined ? [] : [`${event.webhook.type} ${event.webhook.eventId} to endpoint ${event.webhook.endpointId}${event.webhook.statusCode === null ? '' : ` HTTP ${event.webhook.statusCode}`}`]),
    `total ${event.durationMs}ms`,
  ].join('  ');
}

export interface TailIo {
  out(line: string): void;
  /** Status lines; on stderr so that `--json` output stays pure. */
  err(line: string): void;
}

const STDIO: TailIo = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

/** Runs `herald tail` until SIGINT or SIGTERM. */
export async function runTail(config: Pick<Config, 'redisUrl' | 'queuePrefix'>, options: TailOptions, io: TailIo = STDIO): Promise<void> {
  const redis = createRedis(config.redisUrl);
  const reader = new DeliveryEventReader(redis, config.queuePrefix);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const since = options.since === undefined ? undefined : parseSince(options.since, await reader.serverNow());
    const following = () =>
      io.err(`herald tail: following deliveries under ${config.queuePrefix}${since === undefined ? '' : ` since ${since.toISOString()}`} (Ctrl-C to stop)`);
    for await (const { event } of reader.follow({ since, filter: options.filter, signal: stop.signal, onFollowing: following })) {
      io.out(options.json ? JSON.stringify(event) : formatEvent(event));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    redis.disconnect();
  }
}
