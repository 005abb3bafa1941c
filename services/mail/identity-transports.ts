import { isIP } from 'node:net';
import type { SMTPPoolOptions, SMTPPoolSentMessageInfo, Transporter } from 'nodemailer';
import { IDENTITY_SMTP } from '../domain/provider-names';
import { type CheckedAddress, resolvePublicEndpoint, UnsafeAddressError } from '../platform/net-guard';
import type { OutgoingMail } from './outgoing-mail';
import { ProviderError, type SendResult } from './providers/mail-provider';
import { createSmtpTransport, sendThroughSmtp } from './providers/smtp-provider';

/** The ports an identity's SMTP server may listen on (accounts.md), unless SMTP_ALLOW_PRIVATE_HOSTS. */
export const SMTP_PORTS = [25, 465, 587, 2525] as const;

export const SMTP_SECURITIES = ['tls', 'starttls', 'none'] as const;
export type SmtpSecurity = (typeof SMTP_SECURITIES)[number];

/** An identity's own SMTP server, with its password opened. */
export interface IdentitySmtp {
  readonly host: string;
  readonly port: number;
  /** `tls`: TLS from the first byte (465); `starttls`: STARTTLS required; `none`: plain, only where private hosts are allowed. */
  readonly security: SmtpSecurity;
  readonly username: string;
  readonly password: string;
}

/** What the worker knows of a message's sender identity. */
export interface SendingIdentity {
  readonly id: string;
  /** Changes whenever the identity's SMTP settings do: a transport is kept per identity and version. */
  readonly version: string;
  readonly smtp: IdentitySmtp | null;
}

export interface IdentityTransportOptions {
  /** SMTP_ALLOW_PRIVATE_HOSTS. */
  readonly allowPrivate: boolean;
  /** Transports kept open at once; the least recently used is closed to make room. */
  readonly maxTransports?: number;
  /** A transport unused this long is closed. */
  readonly idleMs?: number;
  /** A transport this old is replaced, so the host's name is resolved and checked again. */
  readonly maxAgeMs?: number;
  readonly connectTimeoutMs?: number;
  /** Connections per identity's pool. */
  readonly maxConnections?: number;
}

type Transport = Transporter<SMTPPoolSentMessageInfo, SMTPPoolOptions>;

/** The nodemailer options for a server at an address that passed the guard; the name is kept for TLS. */
export function identityTransportOptions(smtp: IdentitySmtp, address: CheckedAddress): SMTPPoolOptions {
  const servername = isIP(smtp.host.replace(/^\[|\]$/g, '')) === 0 ? smtp.host : undefined;
  return {
    host: address.address,
    port: smtp.port,
    secure: smtp.security === 'tls',
    requireTLS: smtp.security === 'starttls',
    ignoreTLS: smtp.security === 'none',
    auth: { user: smtp.username, pass: smtp.password },
    tls: { ...(servername === undefined ? {} : { servername }), minVersion: 'TLSv1.2' },
  };
}

/** Resolves and checks an identity's server; an unsafe one is a misconfiguration of the identity. */
export async function checkedAddressOf(smtp: Pick<IdentitySmtp, 'host' | 'port'>, allowPrivate: boolean): Promise<CheckedAddress> {
  try {
    return await resolvePublicEndpoint(smtp.host, smtp.port, { ports: SMTP_PORTS, allowPrivate });
  } catch (error) {
    if (error instanceof UnsafeAddressError) throw new ProviderError(IDENTITY_SMTP, 'misconfigured', `unsafe-address: ${error.message}`);
    throw error;
  }
}

interface Entry {
  readonly version: string;
  readonly createdAt: number;
  lastUsedAt: number;
  readonly transport: Promise<Transport>;
}

/**
 * Pooled SMTP transports of sender identities, one per identity and version of its settings:
 * capped in number, closed when idle, replaced when old. Each connects to the address the SSRF
 * guard checked when it was made (accounts.md).
 */
export class IdentityTransports {
  readonly #entries = new Map<string, Entry>();
  readonly #options: Required<IdentityTransportOptions>;
  readonly #timer: NodeJS.Timeout;

  constructor(options: IdentityTransportOptions) {
    this.#options = { maxTransports: 100, idleMs: 60_000, maxAgeMs: 10 * 60_000, connectTimeoutMs: 10_000, maxConnections: 2, ...options };
    this.#timer = setInterval(() => this.closeIdle(), Math.max(1000, Math.floor(this.#options.idleMs / 2)));
    this.#timer.unref();
  }

  /** Open transports (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  /** Sends through the identity's own server; rejects with a ProviderError of `smtp:identity`. */
  async send(identity: SendingIdentity & { readonly smtp: IdentitySmtp }, mail: OutgoingMail): Promise<SendResult> {
    const transport = await this.#transportFor(identity);
    return sendThroughSmtp(transport, mail, IDENTITY_SMTP);
  }

  /** Closes transports unused for the idle time. */
  closeIdle(now = Date.now()): void {
    for (const [id, entry] of this.#entries) {
      if (now - entry.lastUsedAt >= this.#options.idleMs) this.#drop(id, entry);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    for (const [id, entry] of this.#entries) this.#drop(id, entry);
  }

  #transportFor(identity: SendingIdentity & { readonly smtp: IdentitySmtp }): Promise<Transport> {
    const now = Date.now();
    const existing = this.#entries.get(identity.id);
    if (existing !== undefined && existing.version === identity.version && now - existing.createdAt < this.#options.maxAgeMs) {
      existing.lastUsedAt = now;
      // Most recently used last: the first entry is the one to close when the cap is reached.
      this.#entries.delete(identity.id);
      this.#entries.set(identity.id, existing);
      return existing.transport;
    }
    if (existing !== undefined) this.#drop(identity.id, existing);
    while (this.#entries.size >= this.#options.maxTransports) {
      const [oldestId, oldest] = this.#entries.entries().next().value as [string, Entry];
      this.#drop(oldestId, oldest);
    }
    const { smtp } = identity;
    const transport = checkedAddressOf(smtp, this.#options.allowPrivate).then((address) =>
      createSmtpTransport(identityTransportOptions(smtp, address), { connectTimeoutMs: this.#options.connectTimeoutMs, maxConnections: this.#options.maxConnections }),
    );
    const entry: Entry = { version: identity.version, createdAt: now, lastUsedAt: now, transport };
    this.#entries.set(identity.id, entry);
    // A refused or unresolvable host is checked again on the next send, not remembered.
    transport.catch(() => {
      if (this.#entries.get(identity.id) === entry) this.#entries.delete(identity.id);
    });
    return transport;
  }

  #drop(id: string, entry: Entry): void {
    if (this.#entries.get(id) === entry) this.#entries.delete(id);
    entry.transport.then(
      (transport) => transport.close(),
      () => undefined,
    );
  }
}
