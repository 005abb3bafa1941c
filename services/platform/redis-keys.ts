/**
 * Every Redis key Herald names itself, built from the configured prefix (QUEUE_PREFIX). BullMQ
 * builds its own queue keys under the same prefix; with the prefix in braces, all of them share
 * one hash slot in Redis Cluster.
 */

/** The BullMQ queues; their keys live under the prefix. */
export const QUEUE_NAMES = { deliveries: 'deliveries', webhooks: 'webhooks', validationJobs: 'validation-jobs' } as const;

/** A sorted set of live workers scored by when their heartbeat expires. */
export function heartbeatKey(prefix: string): string {
  return `${prefix}:herald:workers`;
}

/** The capped stream of delivery attempts every worker appends to (`herald tail`). */
export function deliveryEventsKey(prefix: string): string {
  return `${prefix}:herald:delivery-events`;
}

/** The key prefix of one rate limit policy's counters. */
export function rateLimitKeyPrefix(prefix: string, policy: string): string {
  return `${prefix}:rate-limit:${policy}:`;
}

/** Failed logins counted for one account or one IP (`account:<id>`, `ip:<address>`) in the current window. */
export function loginFailuresKey(prefix: string, subject: string): string {
  return `${prefix}:herald:login-failures:${subject}`;
}

/** Verification mails resent to one user in the current window. */
export function verificationResendKey(prefix: string, userId: string): string {
  return `${prefix}:herald:verification-resend:${userId}`;
}

/** One domain's cached DNS answer, shared by every replica (validation). */
export function dnsAnswerKey(prefix: string, domain: string): string {
  return `${prefix}:herald:dns:${domain}`;
}

/** A provider webhook's signature token seen by some replica (digest of the token), kept past its timestamp's window. */
export function webhookTokenKey(prefix: string, provider: string, tokenDigest: string): string {
  return `${prefix}:herald:webhook-token:${provider}:${tokenDigest}`;
}
