import { createHash } from 'node:crypto';
import { UUID_PATTERN } from '../domain/identifiers';

/**
 * Herald's id of a message from what a provider event carries back: the custom argument or
 * variable Herald sent, else the Message-ID Herald set (`<id@MAIL_DOMAIN>`, with or without the
 * brackets). Anything else (another sender's mail on a shared provider account) gives undefined.
 */
export function heraldIdOf(variable: unknown, messageIdHeader: unknown, mailDomain: string): string | undefined {
  if (typeof variable === 'string' && UUID_PATTERN.test(variable)) return variable.toLowerCase();
  if (typeof messageIdHeader !== 'string') return undefined;
  const match = /^<?([0-9a-f-]{36})@([^>]+)>?$/i.exec(messageIdHeader.trim());
  const [, id, domain] = match ?? [];
  return id !== undefined && UUID_PATTERN.test(id) && domain?.toLowerCase() === mailDomain.toLowerCase() ? id.toLowerCase() : undefined;
}

/**
 * The forms SendGrid's message id may have been stored in on send: the send answers X-Message-Id,
 * and the events carry sg_message_id, that id followed by `.filter…` parts. Every dot-prefix is a
 * candidate; the Message-ID header (smtp-id) too, which Herald stores when the answer had no id.
 */
export function sendgridMessageIds(sgMessageId: unknown, smtpId: unknown): string[] {
  const candidates = new Set<string>();
  if (typeof sgMessageId === 'string' && sgMessageId !== '') {
    const parts = sgMessageId.split('.').slice(0, 12);
    for (let i = 1; i <= parts.length; i += 1) candidates.add(parts.slice(0, i).join('.'));
  }
  if (typeof smtpId === 'string' && smtpId !== '') candidates.add(smtpId);
  return [...candidates].filter((id) => id.length <= 998);
}

/** Mailgun answers a send with `<id>` and reports events with `id`: both forms are candidates. */
export function mailgunMessageIds(messageId: unknown): string[] {
  if (typeof messageId !== 'string') return [];
  const bare = messageId.trim().replace(/^<|>$/g, '');
  return bare === '' || bare.length > 998 ? [] : [bare, `<${bare}>`];
}

/** An event's own id, or when the provider gave none, a digest of the event as posted. */
export function eventIdOf(given: unknown, event: unknown): string {
  if (typeof given === 'string' && given !== '' && given.length <= 256) return given;
  return `sha256:${createHash('sha256').update(JSON.stringify(event)).digest('hex')}`;
}

// eslint-disable-next-line no-control-regex -- NUL cannot be stored in jsonb, other controls are noise
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** A provider's text kept in an event row: storable, at most `max` characters; undefined when absent. */
export function shortText(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).replace(CONTROL, '').trim();
  return text === '' ? undefined : text.slice(0, max);
}

/** An address from an event, lower-cased; undefined when it does not look like one. */
export function recipientOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const address = value.trim().toLowerCase();
  return address.includes('@') && address.length <= 320 ? address : undefined;
}

/** A provider's Unix time in seconds (integer or fractional) as a Date; undefined when absent or absurd. */
export function dateOfSeconds(value: unknown): Date | undefined {
  const seconds = typeof value === 'string' ? Number(value) : value;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0 || seconds > 32503680000) return undefined;
  return new Date(Math.round(seconds * 1000));
}
