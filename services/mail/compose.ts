import type { MessageToSend } from '../lifecycle/send-columns';
import type { Config } from '../platform/config';
import { escapeHtml } from '../platform/escape-html';
import type { MailAttachment, OutgoingMail } from './outgoing-mail';

// C0, DEL, C1 and the Unicode line/paragraph separators: any of them in a header could fold it
// or start a new one.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

export type ComposeConfig = Pick<Config, 'mailFrom' | 'mailDomain' | 'contactInbox'>;

/** Text safe for a header value: control characters become one space, ends trimmed. */
export function headerText(value: string): string {
  return value.replace(CONTROL_CHARS, ' ').replace(/ {2,}/g, ' ').trim();
}

function messageIdFor(rowId: string, config: ComposeConfig): string {
  return `<${rowId}@${config.mailDomain}>`;
}

/** Builds the mail for a message row: a contact message in the inbox's format, anything else as the client asked. */
export function composeMessage(row: MessageToSend, config: ComposeConfig, attachments: readonly MailAttachment[] = []): OutgoingMail {
  if (row.kind === 'contact') return composeContact(row, config);
  const mail = composeNotification(row, config);
  return attachments.length === 0 ? mail : { ...mail, attachments };
}

/** Builds the mail for a notification row as the client asked for it. */
export function composeNotification(row: MessageToSend, config: ComposeConfig): OutgoingMail {
  return {
    messageId: messageIdFor(row.id, config),
    heraldId: row.id,
    from: row.from_address ?? config.mailFrom,
    to: row.to,
    cc: row.cc,
    bcc: row.bcc,
    ...(row.reply_to === null ? {} : { replyTo: row.reply_to }),
    // The API validates the subject; stripping again keeps a bad row from becoming header injection.
    subject: headerText(row.subject),
    ...(row.text_body === null ? {} : { text: row.text_body }),
    ...(row.html_body === null ? {} : { html: row.html_body }),
    tags: row.tags,
    metadata: row.metadata,
  };
}

/**
 * Builds the mail for a contact form message: to the contact inbox, Reply-To the visitor.
 * The visitor's text only ever reaches a header as the bare address and the control-stripped
 * name in the subject; in the HTML part everything is escaped. Rows moved from the old
 * contact_messages table have no `to`; they go to CONTACT_INBOX.
 */
export function composeContact(row: MessageToSend, config: ComposeConfig): OutgoingMail {
  const name = headerText(row.contact_name ?? '');
  const email = headerText(row.contact_email ?? row.reply_to ?? '').replace(/\s+/g, '');
  const message = row.text_body ?? '';
  const text = [`Name: ${name}`, `Email: ${email}`, '', message, ''].join('\n');
  const html = [
    '<!doctype html>',
    '<html><body>',
    `<p><strong>Name:</strong> ${escapeHtml(name)}</p>`,
    `<p><strong>Email:</strong> ${escapeHtml(email)}</p>`,
    `<p>${escapeHtml(message).replace(/\r\n|\r|\n/g, '<br>\n')}</p>`,
    '</body></html>',
    '',
  ].join('\n');
  return {
    messageId: messageIdFor(row.id, config),
    heraldId: row.id,
    from: config.mailFrom,
    to: row.to.length > 0 ? row.to : [config.contactInbox],
    cc: [],
    bcc: [],
    replyTo: email,
    subject: `New contact message from ${name}`,
    text,
    html,
    tags: ['contact'],
    metadata: {},
  };
}
