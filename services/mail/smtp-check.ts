import nodemailer from 'nodemailer';
import type { NodemailerError } from 'nodemailer';
import { withTimeout } from '../platform/with-timeout';
import { checkedAddressOf, type IdentitySmtp, identityTransportOptions } from './identity-transports';
import { ProviderError } from './providers/mail-provider';
import { shortDetail } from './providers/http-failure';

/** What a connection check of an identity's server came to; never a secret in it. */
export interface SmtpCheckResult {
  readonly ok: boolean;
  /** `auth`, `connection`, `timeout`, `tls`, `unsafe-address` or `protocol`; null when ok. */
  readonly error_class: string | null;
  readonly detail: string;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNECTION', 'ESOCKET', 'EPIPE']);

function classOf(err: NodemailerError): string {
  if (err.code === 'EAUTH' || err.code === 'ENOAUTH' || [530, 534, 535, 538].includes(err.responseCode ?? 0)) return 'auth';
  if (err.code === 'ETIMEDOUT' || /timeout|no answer within/i.test(err.message)) return 'timeout';
  if (err.code === 'ETLS' || /tls|ssl|certificate/i.test(err.message)) return 'tls';
  if (err.code !== undefined && CONNECTION_CODES.has(err.code)) return 'connection';
  return 'protocol';
}

/** Removes every secret of the settings from a server's answer, whatever it chose to echo. */
function scrubbed(text: string, smtp: IdentitySmtp): string {
  let out = text;
  for (const secret of [smtp.password, Buffer.from(smtp.password).toString('base64'), Buffer.from(`\u0000${smtp.username}\u0000${smtp.password}`).toString('base64')]) {
    if (secret.length > 0) out = out.split(secret).join('[redacted]');
  }
  return shortDetail(out);
}

/**
 * Connects to an identity's server (the address the SSRF guard checked, the name kept for
 * TLS) and logs in, within `budgetMs` for everything: the check of accounts.md.
 */
export async function checkSmtpLogin(smtp: IdentitySmtp, options: { readonly allowPrivate: boolean; readonly budgetMs?: number }): Promise<SmtpCheckResult> {
  const budgetMs = options.budgetMs ?? 10_000;
  const started = Date.now();
  let address;
  try {
    address = await withTimeout(checkedAddressOf(smtp, options.allowPrivate), budgetMs);
  } catch (error) {
    if (error instanceof ProviderError) return { ok: false, error_class: 'unsafe-address', detail: error.message.replace(/^unsafe-address: /, '') };
    return { ok: false, error_class: 'timeout', detail: `${smtp.host} did not resolve within ${budgetMs} ms` };
  }
  const left = Math.max(1000, budgetMs - (Date.now() - started));
  const transport = nodemailer.createTransport({
    ...identityTransportOptions(smtp, address),
    connectionTimeout: left,
    greetingTimeout: left,
    socketTimeout: left,
  });
  transport.on('error', () => undefined);
  try {
    await withTimeout(transport.verify(), left, `no answer within ${budgetMs} ms`);
    return { ok: true, error_class: null, detail: `connected to ${smtp.host}:${smtp.port} and logged in as ${smtp.username}` };
  } catch (error) {
    const err = (error instanceof Error ? error : new Error(String(error))) as NodemailerError;
    return { ok: false, error_class: classOf(err), detail: scrubbed(err.message, smtp) };
  } finally {
    transport.close();
  }
}
