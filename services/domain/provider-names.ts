/** The mail providers Herald can send through (`MAIL_PROVIDERS`, the `provider` field). */
export const PROVIDER_NAMES = ['smtp', 'sendgrid', 'mailgun', 'outbox'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** The provider a try names when it went through a sender identity's own SMTP server. */
export const IDENTITY_SMTP = 'smtp:identity' as const;
/** What a delivery try names as its provider: one of the chain's, or an identity's own server. */
export type TryProvider = ProviderName | typeof IDENTITY_SMTP;
