import type { Principal } from '../auth/scopes';
import { EmailNotVerifiedError, SenderNotAllowedError } from '../domain/errors';
import { addressOf, fromHeader, mayProvidersSendAs, viaHerald } from '../mail/sender-form';
import type { Config } from '../platform/config';

export type SenderConfig = Pick<Config, 'mailFrom' | 'mailFromDomains' | 'accounts'>;

/** The sender columns of a message: who sent it, as which identity, its From and its Reply-To. */
export interface Sender {
  readonly user_id: string | null;
  readonly identity_id: string | null;
  readonly from_address: string | null;
  readonly reply_to: string | null;
}

/** What the From rule needs of each of a user's identities. */
export interface SenderIdentity {
  readonly id: string;
  readonly address: string;
  readonly display_name: string | null;
  readonly is_default: boolean;
  readonly verified_at: Date | null;
  readonly has_smtp: boolean;
}

/** A user's identities, read once per request (never for other clients). */
export type SenderDirectory = (userId: string) => Promise<readonly SenderIdentity[]>;

/** Throws unless `principal` may send; for a user, only once its address is verified (REQUIRE_EMAIL_VERIFICATION). */
export function assertMaySend(principal: Principal, config: SenderConfig): void {
  if (principal.user !== undefined && config.accounts.requireEmailVerification && !principal.user.verified) throw new EmailNotVerifiedError();
}

/**
 * The From rule of accounts.md for a request's `from` and `reply_to`. Other clients send from
 * MAIL_FROM and may only name it. A user sends as one of its verified identities (the default
 * when `from` is absent): with its own SMTP server the From is the identity (the worker falls
 * back to the "via Herald" form if that server fails); without one, as the identity when its
 * domain is in MAIL_FROM_DOMAINS, otherwise as `"<name> via Herald" <MAIL_FROM address>` with
 * Reply-To the identity, which keeps DMARC aligned. The account email is verified with the account.
 */
export function senderOf(principal: Principal, request: { from?: string; reply_to?: string }, config: SenderConfig, identities: readonly SenderIdentity[] = []): Sender {
  const user = principal.user;
  const replyTo = request.reply_to ?? null;
  if (user === undefined) {
    if (request.from !== undefined && request.from.toLowerCase() !== addressOf(config.mailFrom).toLowerCase()) throw new SenderNotAllowedError(request.from);
    return { user_id: null, identity_id: null, from_address: null, reply_to: replyTo };
  }
  const isAccount = (identity: SenderIdentity) => identity.address.toLowerCase() === user.email.toLowerCase();
  const wanted = request.from?.toLowerCase();
  const identity =
    wanted === undefined
      ? (identities.find((candidate) => candidate.is_default) ?? identities.find(isAccount))
      : identities.find((candidate) => candidate.address.toLowerCase() === wanted);
  // A user with no identity rows at all still has its account email.
  const chosen = identity ?? (wanted === undefined || wanted === user.email.toLowerCase() ? accountIdentity(user) : undefined);
  if (chosen === undefined) throw new SenderNotAllowedError(request.from ?? user.email);
  const verified = chosen.verified_at !== null || isAccount(chosen);
  if (!verified) throw new SenderNotAllowedError(chosen.address);
  const name = chosen.display_name ?? user.name;
  const identityId = chosen.id === '' ? null : chosen.id;
  if (chosen.has_smtp || mayProvidersSendAs(chosen.address, config)) {
    return { user_id: user.id, identity_id: identityId, from_address: fromHeader(name, chosen.address), reply_to: replyTo };
  }
  return { user_id: user.id, identity_id: identityId, from_address: viaHerald(name, config.mailFrom), reply_to: replyTo ?? chosen.address };
}

function accountIdentity(user: { readonly email: string }): SenderIdentity {
  return { id: '', address: user.email, display_name: null, is_default: true, verified_at: null, has_smtp: false };
}
