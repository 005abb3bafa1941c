import type { Principal } from '../auth/scopes';
import { EmailNotVerifiedError, SenderNotAllowedError } from '../domain/errors';
import type { Config } from '../platform/config';

export type SenderConfig = Pick<Config, 'mailFrom' | 'mailFromDomains' | 'accounts'>;

/** The sender columns of a message: who sent it, its From and its Reply-To. */
export interface Sender {
  readonly user_id: string | null;
  readonly from_address: string | null;
  readonly reply_to: string | null;
}

/** The bare address of a From value such as `Herald <herald@example.com>`. */
export function addressOf(from: string): string {
  return /<([^<>]+)>\s*$/.exec(from)?.[1]?.trim() ?? from.trim();
}

// Quotes and backslashes would end the quoted display name early; they are dropped rather than escaped.
function quotedName(name: string): string {
  return `"${name.replace(/["\\]/g, '')}"`;
}

/** Throws unless `principal` may send; for a user, only once its address is verified (REQUIRE_EMAIL_VERIFICATION). */
export function assertMaySend(principal: Principal, config: SenderConfig): void {
  if (principal.user !== undefined && config.accounts.requireEmailVerification && !principal.user.verified) throw new EmailNotVerifiedError();
}

/**
 * The From rule of accounts.md for a request's `from` and `reply_to`. A user sends only as its
 * own verified address (identities with their own SMTP servers come later): as itself when its
 * domain is one the operator authenticated (MAIL_FROM_DOMAINS), otherwise as
 * `"<name> via Herald" <MAIL_FROM address>` with Reply-To the user, which keeps DMARC aligned.
 * Other clients send from MAIL_FROM and may only name it.
 */
export function senderOf(principal: Principal, request: { from?: string; reply_to?: string }, config: SenderConfig): Sender {
  const user = principal.user;
  const replyTo = request.reply_to ?? null;
  if (user === undefined) {
    if (request.from !== undefined && request.from.toLowerCase() !== addressOf(config.mailFrom).toLowerCase()) throw new SenderNotAllowedError(request.from);
    return { user_id: null, from_address: null, reply_to: replyTo };
  }
  if (request.from !== undefined && request.from.toLowerCase() !== user.email.toLowerCase()) throw new SenderNotAllowedError(request.from);
  const domain = user.email.slice(user.email.lastIndexOf('@') + 1).toLowerCase();
  if (config.mailFromDomains.includes(domain)) {
    return { user_id: user.id, from_address: `${quotedName(user.name)} <${user.email}>`, reply_to: replyTo };
  }
  return { user_id: user.id, from_address: `${quotedName(`${user.name} via Herald`)} <${addressOf(config.mailFrom)}>`, reply_to: replyTo ?? user.email };
}
