/** What a message is: a public contact form post, a notification from a client, or one of Herald's own mails. */
export const MESSAGE_KINDS = ['contact', 'notification', 'system'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];
