/**
 * A message ready for a provider: addresses, content and tracking data, already built from a
 * row. Providers translate it into their own API; nothing here is provider specific.
 */
export interface OutgoingMail {
  /** Full header value, `<${rowId}@${config.mailDomain}>`, stable across retries so receivers can deduplicate. */
  readonly messageId: string;
  /**
   * The message's row id, sent as SendGrid `custom_args` and Mailgun `v:` variables named
   * HERALD_ID_VARIABLE so that the events the provider posts back find their message.
   */
  readonly heraldId?: string;
  /** e.g. 'Herald <herald@localhost>' */
  readonly from: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly bcc: readonly string[];
  readonly replyTo?: string;
  readonly subject: string;
  readonly text?: string;
  readonly html?: string;
  readonly tags: readonly string[];
  /** Sent as provider custom args / variables where supported; never as raw headers. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Extra headers Herald itself sets (List-Unsubscribe); never a client's text. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Files, byte for byte as accepted; absent for most mails. */
  readonly attachments?: readonly MailAttachment[];
}

/** One file of a mail; with `contentId` it is an inline part (`cid:`). */
export interface MailAttachment {
  readonly filename: string;
  readonly contentType: string;
  readonly content: Buffer;
  readonly contentId?: string;
}

/** The custom argument (SendGrid) and user variable (Mailgun) that carries OutgoingMail.heraldId. */
export const HERALD_ID_VARIABLE = 'herald_message_id';
