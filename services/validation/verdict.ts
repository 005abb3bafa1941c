import type { DnsStatus } from './domain-dns';
import type { ListFacts } from './address-lists';

export const VALIDATION_RESULTS = ['deliverable', 'risky', 'undeliverable', 'unknown'] as const;
export type ValidationResult = (typeof VALIDATION_RESULTS)[number];

/** The facts a verdict is drawn from; `dns` undefined when DNS was not asked. */
export interface VerdictFacts {
  readonly syntaxValid: boolean;
  readonly dns: DnsStatus | undefined;
  readonly lists: ListFacts | undefined;
}

export interface Verdict {
  readonly result: ValidationResult;
  readonly score: number;
  readonly reasons: string[];
}

const UNDELIVERABLE_DNS: Partial<Record<DnsStatus, string>> = { nxdomain: 'nxdomain', null_mx: 'null_mx', no_records: 'no_mail_host' };

/**
 * The result and score of an address, by the table in the README ("Recipient validation"):
 * undeliverable beats risky beats unknown beats deliverable; the score starts at 100 and
 * loses the penalty of each fact found.
 */
export function verdictOf(facts: VerdictFacts): Verdict {
  if (!facts.syntaxValid) return { result: 'undeliverable', score: 0, reasons: ['invalid_syntax'] };
  const deadDomain = facts.dns === undefined ? undefined : UNDELIVERABLE_DNS[facts.dns];
  if (deadDomain !== undefined) return { result: 'undeliverable', score: 0, reasons: [deadDomain] };
  const reasons: string[] = [];
  let score = 100;
  let risky = false;
  const lists = facts.lists;
  if (lists?.disposable === true) {
    reasons.push('disposable');
    score -= 60;
    risky = true;
  }
  if (lists?.typo != null) {
    reasons.push('typo');
    score -= 40;
    risky = true;
  }
  if (lists?.role === true) {
    reasons.push('role');
    score -= 25;
    risky = true;
  }
  if (lists?.free === true) {
    reasons.push('free');
    score -= 5;
  }
  let unknown = false;
  if (facts.dns === undefined) {
    reasons.push('dns_not_checked');
    unknown = true;
  } else if (facts.dns === 'timeout' || facts.dns === 'servfail') {
    reasons.push(facts.dns === 'timeout' ? 'dns_timeout' : 'dns_servfail');
    unknown = true;
  } else if (facts.dns === 'no_mx_fallback_a') {
    reasons.push('no_mx_fallback_a');
    score -= 10;
  }
  if (unknown) score = Math.min(score, 50);
  const result: ValidationResult = risky ? 'risky' : unknown ? 'unknown' : 'deliverable';
  return { result, score: Math.max(0, score), reasons };
}
