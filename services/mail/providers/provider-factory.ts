import type { Config, ProviderName } from '../../platform/config';
import type { MailProvider } from './mail-provider';
import { MailgunProvider } from './mailgun-provider';
import { OutboxProvider } from './outbox-provider';
import { SendgridProvider } from './sendgrid-provider';
import { SmtpProvider } from './smtp-provider';

function missing(provider: ProviderName, setting: string): Error {
  // loadConfig already refuses this combination; reaching here means a hand-built Config.
  return new Error(`mail provider ${provider} needs ${setting}`);
}

/** The settings building the providers reads. */
export type ProviderConfig = Pick<Config, 'providers' | 'smtpUrl' | 'sendgrid' | 'mailgun' | 'outboxDir' | 'workerConcurrency'>;

function createProvider(name: ProviderName, config: ProviderConfig): MailProvider {
  switch (name) {
    case 'smtp':
      if (config.smtpUrl === undefined) throw missing(name, 'SMTP_URL');
      return new SmtpProvider(config.smtpUrl, { maxConnections: config.workerConcurrency });
    case 'sendgrid':
      if (config.sendgrid.apiKey === undefined) throw missing(name, 'SENDGRID_API_KEY');
      return new SendgridProvider({ apiKey: config.sendgrid.apiKey, baseUrl: config.sendgrid.baseUrl });
    case 'mailgun':
      if (config.mailgun.apiKey === undefined) throw missing(name, 'MAILGUN_API_KEY');
      if (config.mailgun.domain === undefined) throw missing(name, 'MAILGUN_DOMAIN');
      return new MailgunProvider({ apiKey: config.mailgun.apiKey, domain: config.mailgun.domain, baseUrl: config.mailgun.baseUrl });
    case 'outbox':
      return new OutboxProvider(config.outboxDir);
  }
}

/** One provider per entry of MAIL_PROVIDERS, in that order. */
export function createProviders(config: ProviderConfig): MailProvider[] {
  // A name listed twice would only make the chain try the same provider twice.
  return [...new Set(config.providers)].map((name) => createProvider(name, config));
}
