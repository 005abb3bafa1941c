import type Mail from 'nodemailer/lib/mailer';
import type { OutgoingMail } from '../outgoing-mail';

/**
 * The nodemailer message for an OutgoingMail, shared by the SMTP and outbox
 * providers. File and URL access stay off so no content can read local files
 * or fetch URLs.
 */
export function toNodemailerMessage(mail: OutgoingMail): Mail.Options {
  return {
    messageId: mail.messageId,
    from: mail.from,
    to: [...mail.to],
    cc: [...mail.cc],
    bcc: [...mail.bcc],
    ...(mail.replyTo === undefined ? {} : { replyTo: mail.replyTo }),
    subject: mail.subject,
    ...(mail.text === undefined ? {} : { text: mail.text }),
    ...(mail.html === undefined ? {} : { html: mail.html }),
    ...(mail.headers === undefined ? {} : { headers: { ...mail.headers } }),
    ...(mail.attachments === undefined
      ? {}
      : {
          attachments: mail.attachments.map((file) => ({
            filename: file.filename,
            content: file.content,
            contentType: file.contentType,
            contentDisposition: file.contentId === undefined ? ('attachment' as const) : ('inline' as const),
            ...(file.contentId === undefined ? {} : { cid: file.contentId }),
          })),
        }),
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}
