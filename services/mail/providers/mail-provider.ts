import type { TryProvider } from '../../domain/provider-names';
import type { ProviderName } from '../../platform/config';
import type { OutgoingMail } from '../outgoing-mail';

export type { ProviderName };

export interface SendResult {
  readonly providerMessageId: string;
}

/** One way of delivering mail (SMTP relay, HTTP API, local outbox); the chain picks among them. */
export interface MailProvider {
  readonly name: ProviderName;
  /** Resolves once the provider accepted the message; rejects with a ProviderError. */
  send(mail: OutgoingMail): Promise<SendResult>;
  close(): Promise<void>;
}

/**
 * permanent: the recipient or content was rejected, retrying or another provider gets the same answer.
 * transient: the provider could not take it now (network, timeout, 429, 5xx, SMTP 4xx).
 * misconfigured: our credentials or setup are wrong (401/403, SMTP 535); another provider may work.
 */
export type FailureKind = 'permanent' | 'transient' | 'misconfigured';

/**
 * A failed send, classified. The message holds the provider's status and answer, never the
 * mail body or credentials, because it ends up in delivery_attempts and in logs. For that reason
 * the SDK error is deliberately not attached as `cause`: axios errors carry the request config,
 * which includes the Authorization header and the whole message.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';

  constructor(
    readonly provider: TryProvider,
    readonly kind: FailureKind,
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
  }
}
