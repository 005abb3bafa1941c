import { checkEmailAddress } from '../platform/email-address';
import type { DnsStatus, DomainDns } from './domain-dns';

const DEAD: ReadonlySet<DnsStatus> = new Set(['nxdomain', 'null_mx', 'no_records']);

/**
 * Which recipients cannot receive mail at all (bad syntax, NXDOMAIN, null MX, no mail host), by
 * the cached DNS answers of their domains. Unknown answers (timeout, SERVFAIL) never count.
 */
export class RecipientGuard {
  constructor(private readonly dns: DomainDns) {}

  /** Each undeliverable recipient with its reason; recipients not listed may receive mail. */
  async undeliverable(recipients: readonly string[], budgetMs?: number): Promise<Record<string, string>> {
    const domains = new Map<string, string>();
    const found: Record<string, string> = {};
    for (const recipient of recipients) {
      const checked = checkEmailAddress(recipient);
      if (!checked.ok) found[recipient] = 'invalid_syntax';
      else domains.set(recipient, checked.address.slice(checked.address.lastIndexOf('@') + 1));
    }
    if (domains.size === 0) return found;
    // A lookup that fails or runs past the budget knows nothing: unknown never blocks.
    const lookup = this.dns.lookupMany([...domains.values()]).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const answers =
      budgetMs === undefined
        ? await lookup
        : await Promise.race([lookup, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), budgetMs)))]).finally(() => clearTimeout(timer));
    if (answers === undefined) return found;
    for (const [recipient, domain] of domains) {
      const status = answers.get(domain)?.status;
      if (status !== undefined && DEAD.has(status)) found[recipient] = status;
    }
    return found;
  }
}
