import { Client } from '@sendgrid/client';
import { MailService, type MailDataRequired } from '@sendgrid/mail';
import { HERALD_ID_VARIABLE, type OutgoingMail } from '../outgoing-mail';
import { classifyHttpStatus, shortDetail } from './http-failure';
import { ProviderError, type MailProvider, type SendResult } from './mail-provider';

export interface SendgridSettings {
  readonly apiKey: string;
  readonly baseUrl: string;
  readonly timeoutMs?: number;
}

type MailContent = { type: string; value: string };

/** The parts of @sendgrid/helpers' ResponseError we read; the SDK's typing of body is wrong (it is parsed JSON). */
interface SendgridResponseError {
  readonly code: number;
  readonly message: string;
  readonly response: { readonly body: unknown };
}

function isResponseError(err: unknown): err is SendgridResponseError {
  if (!(err instanceof Error)) return false;
  const candidate = err as Partial<SendgridResponseError>;
  return typeof candidate.code === 'number' && typeof candidate.response === 'object' && candidate.response !== null;
}

/** SendGrid answers `{ errors: [{ message, field }] }`; only those texts go into our error. */
function errorMessages(body: unknown): string {
  if (typeof body !== 'object' || body === null || !('errors' in body) || !Array.isArray(body.errors)) return '';
  return body.errors
    .map((item: unknown) =>
      typeof item === 'object' && item !== null && 'message' in item && typeof item.message === 'string' ? item.message : '',
    )
    .filter((message) => message !== '')
    .join('; ');
}

/** The metadata and Herald's own id, which the Event Webhook posts back on every event of the message. */
function customArgs(mail: OutgoingMail): Record<string, string> {
  // SendGrid accepts only string values in custom_args.
  return {
    ...Object.fromEntries(Object.entries(mail.metadata).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)])),
    ...(mail.heraldId === undefined ? {} : { [HERALD_ID_VARIABLE]: mail.heraldId }),
  };
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const value: unknown = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Delivers through the SendGrid v3 mail/send API. */
export class SendgridProvider implements MailProvider {
  readonly name = 'sendgrid' as const;
  readonly #service = new MailService();

  constructor(settings: SendgridSettings) {
    const client = new Client();
    // setApiKey resets the base URL to api.sendgrid.com, so the base URL must be set after it.
    client.setApiKey(settings.apiKey);
    client.setDefaultRequest('baseUrl', settings.baseUrl);
    this.#service.setClient(client);
    this.#service.setTimeout(settings.timeoutMs ?? 30_000);
  }

  async send(mail: OutgoingMail): Promise<SendResult> {
    let response;
    try {
      [response] = await this.#service.send(this.#request(mail));
    } catch (err) {
      throw this.#toProviderError(err);
    }
    return { providerMessageId: headerValue(response.headers, 'x-message-id') ?? mail.messageId };
  }

  async close(): Promise<void> {
    // Each request is a fresh axios call: nothing to release.
  }

  #request(mail: OutgoingMail): MailDataRequired {
    // SendGrid wants text/plain before text/html.
    const parts: MailContent[] = [];
    if (mail.text !== undefined) parts.push({ type: 'text/plain', value: mail.text });
    if (mail.html !== undefined) parts.push({ type: 'text/html', value: mail.html });
    const [first, ...rest] = parts;
    if (first === undefined) throw new ProviderError(this.name, 'permanent', 'SendGrid: message has neither text nor html');
    return {
      from: mail.from,
      to: [...mail.to],
      ...(mail.cc.length > 0 ? { cc: [...mail.cc] } : {}),
      ...(mail.bcc.length > 0 ? { bcc: [...mail.bcc] } : {}),
      ...(mail.replyTo === undefined ? {} : { replyTo: mail.replyTo }),
      subject: mail.subject,
      content: [first, ...rest],
      headers: { ...mail.headers, 'Message-ID': mail.messageId },
      ...(mail.tags.length > 0 ? { categories: [...mail.tags] } : {}),
      ...(Object.keys(mail.metadata).length > 0 || mail.heraldId !== undefined ? { customArgs: customArgs(mail) } : {}),
      ...(mail.attachments === undefined
        ? {}
        : {
            attachments: mail.attachments.map((file) => ({
              content: file.content.toString('base64'),
              filename: file.filename,
              type: file.contentType,
              disposition: file.contentId === undefined ? 'attachment' : 'inline',
              ...(file.contentId === undefined ? {} : { contentId: file.contentId }),
            })),
          }),
    };
  }

  #toProviderError(err: unknown): ProviderError {
    if (err instanceof ProviderError) return err;
    if (isResponseError(err)) {
      const details = errorMessages(err.response.body);
      const text = shortDetail(details === '' ? err.message : `${err.message}: ${details}`);
      return new ProviderError(this.name, classifyHttpStatus(err.code), `SendGrid answered ${err.code} ${text}`, err.code);
    }
    // No HTTP answer: connection refused, timeout, DNS. Only the code and message, never the axios config.
    const code = err instanceof Error && 'code' in err && typeof err.code === 'string' ? `${err.code} ` : '';
    const message = err instanceof Error ? err.message : String(err);
    return new ProviderError(this.name, 'transient', `SendGrid request failed: ${code}${shortDetail(message)}`);
  }
}
