import type { Config } from '../platform/config';
import type { HeraldMetrics } from '../platform/metrics';
import type { Redis } from '../platform/redis';
import { AddressLists } from './address-lists';
import { DomainDns } from './domain-dns';
import { EmailValidator } from './email-validator';

/** An EmailValidator on this process's Redis (the shared DNS cache), counting into its metrics. */
export function createEmailValidator(redis: Redis, config: Pick<Config, 'queuePrefix' | 'validation'>, metrics: HeraldMetrics): EmailValidator {
  const dns = new DomainDns(redis, config, { onLookup: (source, status) => metrics.dnsLookups.inc({ source, status }) });
  return new EmailValidator(dns, new AddressLists(config.validation.extraDisposable), {
    onValidated: (result, count) => metrics.validations.inc({ result }, count),
  });
}
