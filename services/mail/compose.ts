import type { Config } from '../platform/config';
import type { ContactToSend, NotificationToSend } from '../platform/database';
import type { OutgoingMail } from './outgoing-mail';

// C0, DEL, C1 and the Unicode line/paragraph separators: any of them in a header could fold it
// or start a new one.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

const HTML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text safe for a header value: control characters become one space, ends trimmed. */
export function headerText(value: string): string {
  return value.replace(CONTROL_CHARS, ' ').replace(/ {2,}/g, ' ').trim();
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char] ?? char);
}

function messageIdFor(rowId: string, config: Config): string {
  return `<${rowId}@${config.mailDomain}>`;
}

/** Builds the mail for a notification row as the client asked for it. */
export function composeNotification(row: NotificationToSend, config: Config): OutgoingMail {
  return {
    messageId: messageIdFor(row.id, config),
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
 * name in the subject; in the HTML part everything is escaped.
 */
export function composeContact(row: ContactToSend, config: Config): OutgoingMail {
  const name = headerText(row.name);
  const email = headerText(row.email).replace(/\s+/g, '');
  const text = [`Name: ${name}`, `Email: ${email}`, '', row.message, ''].join('\n');
  const html = [
    '<!doctype html>',
    '<html><body>',
    `<p><strong>Name:</strong> ${escapeHtml(name)}</p>`,
    `<p><strong>Email:</strong> ${escapeHtml(email)}</p>`,
    `<p>${escapeHtml(row.message).replace(/\r\n|\r|\n/g, '<br>\n')}</p>`,
    '</body></html>',
    '',
  ].join('\n');
  return {
    messageId: messageIdFor(row.id, config),
    from: config.mailFrom,
    to: [config.contactInbox],
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
