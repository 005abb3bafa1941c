import FormData from 'form-data';
import Mailgun from 'mailgun.js';
import type { MailgunMessageData } from 'mailgun.js/definitions';
import { HERALD_ID_VARIABLE, type MailAttachment, type OutgoingMail } from '../outgoing-mail';
import { classifyHttpStatus, shortDetail } from './http-failure';
import { ProviderError, type FailureKind, type MailProvider, type SendResult } from './mail-provider';

export interface MailgunSettings {
  readonly apiKey: string;
  readonly domain: string;
  readonly baseUrl: string;
  readonly timeoutMs?: number;
}

type MessagesClient = ReturnType<Mailgun['client']>['messages'];

/** The fields of mailgun.js's APIError we read. */
interface MailgunApiError {
  readonly type: 'MailgunAPIError';
  readonly status: number;
  readonly message: string;
  readonly details: string;
}

function isMailgunApiError(err: unknown): err is MailgunApiError {
  return typeof err === 'object' && err !== null && (err as { type?: unknown }).type === 'MailgunAPIError';
}

// axios codes mailgun.js puts in `message` when a request got an HTTP answer with no status text.
const HTTP_ANSWER_CODES = new Set(['ERR_BAD_REQUEST', 'ERR_BAD_RESPONSE']);

/**
 * mailgun.js turns every failure into an APIError, and one that got no HTTP answer at all
 * (connection refused, timeout) gets status 400 with the socket error code as its message.
 * Reading the 400 at face value would fail a message for good because the network blipped.
 */
function classifyMailgunError(err: MailgunApiError): FailureKind {
  const noHttpAnswer = /^E[A-Z_]+$/.test(err.message) && !HTTP_ANSWER_CODES.has(err.message);
  if (noHttpAnswer) return 'transient';
  // The SDK's answer when the base URL points at Mailgun's landing page rather than the API.
  if (err.status === 400 && err.message === 'Incorrect url') return 'misconfigured';
  return classifyHttpStatus(err.status);
}

/** The metadata and Herald's own id as `v:` variables, which Mailgun's events carry back as user-variables. */
function variables(mail: OutgoingMail): Record<string, string> {
  return {
    ...Object.fromEntries(Object.entries(mail.metadata).map(([key, value]) => [`v:${key}`, typeof value === 'string' ? value : JSON.stringify(value)])),
    ...(mail.heraldId === undefined ? {} : { [`v:${HERALD_ID_VARIABLE}`]: mail.heraldId }),
  };
}

/** Attachments as `attachment` parts, inline images as `inline` parts named by their content id. */
function files(mail: OutgoingMail): Pick<MailgunMessageData, 'attachment' | 'inline'> {
  if (mail.attachments === undefined) return {};
  const attached = mail.attachments.filter((file) => file.contentId === undefined);
  const inline = mail.attachments.filter((file) => file.contentId !== undefined);
  const part = (file: MailAttachment, filename: string) => ({ data: file.content, filename, contentType: file.contentType });
  return {
    ...(attached.length > 0 ? { attachment: attached.map((file) => part(file, file.filename)) } : {}),
    ...(inline.length > 0 ? { inline: inline.map((file) => part(file, file.contentId ?? file.filename)) } : {}),
  };
}

/** Delivers through the Mailgun messages API. */
export class MailgunProvider implements MailProvider {
  readonly name = 'mailgun' as const;
  readonly #messages: MessagesClient;
  readonly #domain: string;

  constructor(settings: MailgunSettings) {
    this.#domain = settings.domain;
    this.#messages = new Mailgun(FormData).client({
      username: 'api',
      key: settings.apiKey,
      url: settings.baseUrl,
      timeout: settings.timeoutMs ?? 30_000,
    }).messages;
  }

  async send(mail: OutgoingMail): Promise<SendResult> {
    let answer;
    try {
      answer = await this.#messages.create(this.#domain, this.#request(mail));
    } catch (err) {
      throw this.#toProviderError(err);
    }
    return { providerMessageId: answer.id ?? mail.messageId };
  }

  async close(): Promise<void> {
    // Each request is a fresh axios call: nothing to release.
  }

  #request(mail: OutgoingMail): MailgunMessageData {
    const content =
      mail.text !== undefined
        ? { text: mail.text, ...(mail.html === undefined ? {} : { html: mail.html }) }
        : mail.html !== undefined
          ? { html: mail.html }
          : undefined;
    if (content === undefined) throw new ProviderError(this.name, 'permanent', 'Mailgun: message has neither text nor html');
    return {
      ...content,
      from: mail.from,
      to: [...mail.to],
      ...(mail.cc.length > 0 ? { cc: [...mail.cc] } : {}),
      ...(mail.bcc.length > 0 ? { bcc: [...mail.bcc] } : {}),
      subject: mail.subject,
      'h:Message-Id': mail.messageId,
      ...(mail.replyTo === undefined ? {} : { 'h:Reply-To': mail.replyTo }),
      ...Object.fromEntries(Object.entries(mail.headers ?? {}).map(([name, value]) => [`h:${name}`, value])),
      ...(mail.tags.length > 0 ? { 'o:tag': [...mail.tags] } : {}),
      ...variables(mail),
      ...files(mail),
    };
  }

  #toProviderError(err: unknown): ProviderError {
    if (err instanceof ProviderError) return err;
    if (isMailgunApiError(err)) {
      const kind = classifyMailgunError(err);
      const detail = shortDetail(err.details === '' ? err.message : `${err.message}: ${err.details}`);
      const status = kind === 'transient' && err.status === 400 ? undefined : err.status;
      return new ProviderError(this.name, kind, `Mailgun answered ${status ?? 'nothing'}: ${detail}`, status);
    }
    const message = err instanceof Error ? err.message : String(err);
    return new ProviderError(this.name, 'transient', `Mailgun request failed: ${shortDetail(message)}`);
  }
}
