/** The mail providers Herald can send through (`MAIL_PROVIDERS`, the `provider` field). */
export const PROVIDER_NAMES = ['smtp', 'sendgrid', 'mailgun', 'outbox'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];
