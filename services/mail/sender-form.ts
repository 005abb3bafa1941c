import type { OutgoingMail } from './outgoing-mail';

/**
 * How a From header is written for a person's address (accounts.md, "Which From"): as itself
 * when the domain is one the operator authenticated with the providers (MAIL_FROM_DOMAINS), or
 * as `"<name> via Herald" <MAIL_FROM address>` with Reply-To the person, which keeps DMARC
 * aligned when the mail leaves through Herald's own providers.
 */

/** The bare address of a From value such as `Herald <herald@example.com>`. */
export function addressOf(from: string): string {
  return /<([^<>]+)>\s*$/.exec(from)?.[1]?.trim() ?? from.trim();
}

/** The display name of a From value written by `fromHeader` (quoted), or undefined. */
export function displayNameOf(from: string): string | undefined {
  return /^\s*"([^"]*)"\s*</.exec(from)?.[1];
}

// Quotes and backslashes would end the quoted display name early; they are dropped rather than escaped.
function quotedName(name: string): string {
  return `"${name.replace(/["\\]/g, '')}"`;
}

/** `"<name>" <address>`. */
export function fromHeader(name: string, address: string): string {
  return `${quotedName(name)} <${address}>`;
}

/** `"<name> via Herald" <MAIL_FROM address>`. */
export function viaHerald(name: string, mailFrom: string): string {
  return fromHeader(`${name} via Herald`, addressOf(mailFrom));
}

/** Whether Herald's providers may send as `address` itself: MAIL_FROM's own, or a domain in MAIL_FROM_DOMAINS. */
export function mayProvidersSendAs(address: string, config: { readonly mailFrom: string; readonly mailFromDomains: readonly string[] }): boolean {
  const lower = address.toLowerCase();
  if (lower === addressOf(config.mailFrom).toLowerCase()) return true;
  return config.mailFromDomains.includes(lower.slice(lower.lastIndexOf('@') + 1));
}

/**
 * The mail as Herald's own providers may send it: unchanged when they may send as its From,
 * otherwise From `"<name> via Herald" <MAIL_FROM>` and Reply-To the original address (unless the
 * client chose a Reply-To). Used when an identity's own server could not take the mail.
 */
export function alignedForProviders(mail: OutgoingMail, config: { readonly mailFrom: string; readonly mailFromDomains: readonly string[] }): OutgoingMail {
  const address = addressOf(mail.from);
  if (mayProvidersSendAs(address, config)) return mail;
  const name = displayNameOf(mail.from) ?? address;
  return { ...mail, from: viaHerald(name, config.mailFrom), replyTo: mail.replyTo ?? address };
}
