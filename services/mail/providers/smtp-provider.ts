import nodemailer from 'nodemailer';
import type { NodemailerError, SMTPPoolSentMessageInfo, Transporter } from 'nodemailer';
import type { SMTPPoolOptions } from 'nodemailer';
import type { TryProvider } from '../../domain/provider-names';
import type { OutgoingMail } from '../outgoing-mail';
import { toNodemailerMessage } from './nodemailer-message';
import { shortDetail } from './http-failure';
import { ProviderError, type FailureKind, type MailProvider, type SendResult } from './mail-provider';

export interface SmtpProviderOptions {
  /** How long to wait for the TCP connection and for the greeting, each. */
  readonly connectTimeoutMs?: number;
  /** Idle time on an open socket before the send fails. */
  readonly socketTimeoutMs?: number;
  /**
   * Connections in the pool. Sized to the worker's concurrency: with fewer, sends queue inside
   * the pool and wait there while their lease runs (nodemailer's default is 5).
   */
  readonly maxConnections?: number;
}

// Reply codes that mean our credentials or auth setup are wrong, not the message.
const AUTH_REPLY_CODES = new Set([530, 534, 535, 538]);
const AUTH_ERROR_CODES = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2']);
// Commands whose 5xx rejection is about this envelope or content (DESIGN section 5).
const MESSAGE_COMMANDS = /^(MAIL|RCPT|DATA)\b/i;

/** Maps a nodemailer error to a failure kind. */
export function classifySmtpError(err: NodemailerError): FailureKind {
  const reply = err.responseCode;
  if ((reply !== undefined && AUTH_REPLY_CODES.has(reply)) || AUTH_ERROR_CODES.has(err.code ?? '')) return 'misconfigured';
  // With several recipients refused, err.responseCode is only the last reply. If any refusal
  // was temporary, a retry can still reach that recipient.
  const someRefusalTemporary = (err.rejectedErrors ?? []).some((refusal) => refusal.permanent === false);
  if (someRefusalTemporary) return 'transient';
  if (reply === undefined || reply < 500 || reply === 503) return 'transient';
  // A 5xx on MAIL/RCPT/DATA rejects this message; nodemailer reports "all recipients rejected"
  // as EENVELOPE without a command. A 5xx anywhere else (EHLO, greeting) is the server's setup.
  const aboutThisMessage = err.code === 'EENVELOPE' || err.code === 'EMESSAGE' || MESSAGE_COMMANDS.test(err.command ?? '');
  return aboutThisMessage ? 'permanent' : 'misconfigured';
}

function isNodemailerError(err: unknown): err is NodemailerError {
  return err instanceof Error;
}

/**
 * A pooled nodemailer transport with the sandbox Herald needs: no file or URL access for any
 * message, whatever the target's options say, and no unhandled 'error' event.
 */
export function createSmtpTransport(target: string | SMTPPoolOptions, options: SmtpProviderOptions = {}): Transporter<SMTPPoolSentMessageInfo, SMTPPoolOptions> {
  const connectTimeout = options.connectTimeoutMs ?? 10_000;
  const settings = {
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    disableFileAccess: true,
    disableUrlAccess: true,
    connectionTimeout: connectTimeout,
    greetingTimeout: connectTimeout,
    socketTimeout: options.socketTimeoutMs ?? 60_000,
  } as const;
  const transport = nodemailer.createTransport(typeof target === 'string' ? { url: target, ...settings } : { ...target, ...settings });
  // An 'error' event with no listener would crash the worker; every failure that matters also
  // rejects the sendMail call it belongs to, where it is classified and recorded.
  transport.on('error', () => undefined);
  // Query parameters of SMTP_URL override the options above, and nodemailer copies the
  // transport's flags onto every message. Forcing them back at compile time keeps the sandbox
  // on whatever the URL says.
  transport.use('compile', (message, done) => {
    message.data.disableFileAccess = true;
    message.data.disableUrlAccess = true;
    done();
  });
  return transport;
}

/** A nodemailer failure as a ProviderError of `provider`: the server's reply and command, never the body or credentials. */
export function smtpProviderError(provider: TryProvider, err: unknown): ProviderError {
  if (!isNodemailerError(err)) return new ProviderError(provider, 'transient', `SMTP send failed: ${String(err)}`);
  const kind = classifySmtpError(err);
  // nodemailer's messages carry the server reply and the command, never the message body.
  const where = err.command === undefined ? '' : ` (${err.command})`;
  const code = err.code === undefined ? '' : `${err.code}: `;
  return new ProviderError(provider, kind, `SMTP ${code}${shortDetail(err.message)}${where}`, err.responseCode);
}

/** Sends one mail through a transport; rejects with a classified ProviderError. */
export async function sendThroughSmtp(transport: Transporter<SMTPPoolSentMessageInfo, SMTPPoolOptions>, mail: OutgoingMail, provider: TryProvider): Promise<SendResult> {
  try {
    const info = await transport.sendMail(toNodemailerMessage(mail));
    return { providerMessageId: info.messageId };
  } catch (err) {
    throw smtpProviderError(provider, err);
  }
}

/** Delivers through an SMTP relay (SMTP_URL) over a pool of connections. */
export class SmtpProvider implements MailProvider {
  readonly name = 'smtp' as const;
  readonly #transport: Transporter<SMTPPoolSentMessageInfo, SMTPPoolOptions>;

  constructor(smtpUrl: string, options: SmtpProviderOptions = {}) {
    this.#transport = createSmtpTransport(smtpUrl, options);
  }

  send(mail: OutgoingMail): Promise<SendResult> {
    return sendThroughSmtp(this.#transport, mail, this.name);
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}
