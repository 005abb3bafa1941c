import { Resolver } from 'node:dns/promises';
import type { Config } from '../platform/config';
import type { Redis } from '../platform/redis';
import { dnsAnswerKey } from '../platform/redis-keys';

/** What DNS says about a domain's ability to receive mail (validation.md). */
export type DnsStatus = 'ok' | 'no_mx_fallback_a' | 'null_mx' | 'nxdomain' | 'no_records' | 'timeout' | 'servfail';

export interface MxRecord {
  readonly exchange: string;
  readonly priority: number;
}

export interface DnsAnswer {
  readonly status: DnsStatus;
  readonly mx: readonly MxRecord[];
}

/** The answers that say nothing about the domain, only about the resolver: never cached, never undeliverable. */
export function isUnknownDns(status: DnsStatus): boolean {
  return status === 'timeout' || status === 'servfail';
}

/** Observers of lookups (metrics); they must not throw. */
export interface DnsListener {
  onLookup?(source: 'cache' | 'dns', status: DnsStatus): void;
}

const QUERY_TIMEOUT_MS = 2000;
const NEGATIVE_TTL_S = 300;

/** The resolver calls DomainDns makes: the slice of node:dns's Resolver it needs. */
interface MailResolver {
  resolveMx(hostname: string): Promise<{ exchange: string; priority: number }[]>;
  resolve4(hostname: string): Promise<string[]>;
  resolve6(hostname: string): Promise<string[]>;
}

class NoAnswer extends Error {}

/**
 * Looks up whether domains can receive mail: MX, null MX (RFC 7505), the A/AAAA fallback
 * (RFC 5321 5.1), with answers cached in Redis for every replica. Each query gets 2 s and one
 * retry; a resolver that cannot answer makes the status `timeout` or `servfail`, never a verdict.
 */
export class DomainDns {
  private readonly resolver: MailResolver;

  constructor(
    private readonly redis: Redis,
    private readonly config: Pick<Config, 'queuePrefix' | 'validation'>,
    private readonly listener: DnsListener = {},
  ) {
    // One try per call: the retry is ours, so that a silent server costs 2 × 2 s and no more (c-ares backs off beyond that).
    const resolver = new Resolver({ timeout: QUERY_TIMEOUT_MS, tries: 1 });
    if (config.validation.dnsServers.length > 0) resolver.setServers([...config.validation.dnsServers]);
    this.resolver = resolver;
  }

  /** One domain's answer, from the cache when another lookup (on any replica) made it recently. */
  async lookup(domain: string): Promise<DnsAnswer> {
    return (await this.lookupMany([domain])).get(domain) ?? { status: 'servfail', mx: [] };
  }

  /** Answers for distinct domains: one MGET for the cache, then at most `concurrency` queries at a time. */
  async lookupMany(domains: readonly string[], concurrency = 32): Promise<Map<string, DnsAnswer>> {
    const unique = [...new Set(domains)];
    const answers = new Map<string, DnsAnswer>();
    if (unique.length === 0) return answers;
    const cached = await this.redis.mget(...unique.map((domain) => dnsAnswerKey(this.config.queuePrefix, domain))).catch(() => unique.map(() => null));
    const missing: string[] = [];
    unique.forEach((domain, index) => {
      const hit = cached[index];
      if (hit !== null && hit !== undefined) {
        const answer = JSON.parse(hit) as DnsAnswer;
        answers.set(domain, answer);
        this.listener.onLookup?.('cache', answer.status);
      } else {
        missing.push(domain);
      }
    });
    let next = 0;
    const work = async () => {
      while (next < missing.length) {
        const domain = missing[next++] as string;
        const answer = await this.query(domain);
        answers.set(domain, answer);
        this.listener.onLookup?.('dns', answer.status);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, missing.length) }, work));
    await this.store(missing.map((domain) => [domain, answers.get(domain)] as const));
    return answers;
  }

  private async store(entries: readonly (readonly [string, DnsAnswer | undefined])[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    let count = 0;
    for (const [domain, answer] of entries) {
      if (answer === undefined || isUnknownDns(answer.status)) continue;
      const ttl = answer.status === 'ok' || answer.status === 'no_mx_fallback_a' ? this.config.validation.dnsTtlS : NEGATIVE_TTL_S;
      pipeline.set(dnsAnswerKey(this.config.queuePrefix, domain), JSON.stringify(answer), 'EX', ttl);
      count += 1;
    }
    // A cache that cannot be written only costs the next lookup a query.
    if (count > 0) await pipeline.exec().catch(() => undefined);
  }

  private async query(domain: string): Promise<DnsAnswer> {
    const mx = await this.ask(() => this.resolver.resolveMx(domain));
    if (mx.kind === 'unknown') return { status: mx.status, mx: [] };
    if (mx.kind === 'nxdomain') return { status: 'nxdomain', mx: [] };
    if (mx.kind === 'records') {
      const records = mx.records.map((r) => ({ exchange: r.exchange.replace(/\.$/, ''), priority: r.priority })).sort((a, b) => a.priority - b.priority);
      const isNullMx = records.length === 1 && records[0]?.priority === 0 && records[0].exchange === '';
      return isNullMx ? { status: 'null_mx', mx: records } : { status: 'ok', mx: records };
    }
    // No MX: the domain itself is the mail host if it has an address (RFC 5321 5.1).
    const [v4, v6] = await Promise.all([this.ask(() => this.resolver.resolve4(domain)), this.ask(() => this.resolver.resolve6(domain))]);
    const hasAddress = v4.kind === 'records' || v6.kind === 'records';
    if (hasAddress) return { status: 'no_mx_fallback_a', mx: [] };
    if (v4.kind === 'unknown') return { status: v4.status, mx: [] };
    if (v6.kind === 'unknown') return { status: v6.status, mx: [] };
    return { status: 'no_records', mx: [] };
  }

  /** One query with one retry, its error sorted into what it says about the domain. */
  private async ask<T>(run: () => Promise<T[]>): Promise<
    | { kind: 'records'; records: T[] }
    | { kind: 'empty' }
    | { kind: 'nxdomain' }
    | { kind: 'unknown'; status: 'timeout' | 'servfail' }
  > {
    let last: 'timeout' | 'servfail' = 'servfail';
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const records = await run();
        if (records.length === 0) throw new NoAnswer();
        return { kind: 'records', records };
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (error instanceof NoAnswer || code === 'ENODATA') return { kind: 'empty' };
        if (code === 'ENOTFOUND') return { kind: 'nxdomain' };
        last = code === 'ETIMEOUT' ? 'timeout' : 'servfail';
      }
    }
    return { kind: 'unknown', status: last };
  }
}
