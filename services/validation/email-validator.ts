import { domainToUnicode } from 'node:url';
import { checkEmailAddress } from '../platform/email-address';
import type { AddressLists, ListFacts } from './address-lists';
import type { DnsAnswer, DnsStatus, DomainDns, MxRecord } from './domain-dns';
import { type ValidationResult, verdictOf } from './verdict';

/** The answer for one address (validation.md, "One address"). */
export interface EmailValidation {
  readonly email: string;
  readonly normalized: string | null;
  readonly result: ValidationResult;
  readonly score: number;
  readonly reasons: string[];
  readonly checks: {
    readonly syntax: { readonly valid: boolean; readonly reason: string | null };
    readonly domain: { readonly ascii: string; readonly unicode: string } | null;
    readonly dns: { readonly status: DnsStatus; readonly mx: readonly MxRecord[] } | null;
    readonly disposable: boolean;
    readonly role: boolean;
    readonly free: boolean;
    readonly typo: { readonly suggestion: string } | null;
  };
}

export interface ValidateOptions {
  /** False to skip DNS (the answer is then at best unknown). */
  readonly dns?: boolean;
}

/** Observers of validations (metrics); they must not throw. */
export interface ValidationListener {
  onValidated?(result: ValidationResult, count: number): void;
}

type Parsed = { readonly email: string; readonly ok: false; readonly reason: string } | { readonly email: string; readonly ok: true; readonly local: string; readonly domain: string };

function parse(email: string): Parsed {
  const checked = checkEmailAddress(email);
  if (!checked.ok) return { email, ok: false, reason: checked.reason };
  const at = checked.address.lastIndexOf('@');
  return { email, ok: true, local: checked.address.slice(0, at), domain: checked.address.slice(at + 1) };
}

/** Validates addresses: the syntax accept uses, DNS through DomainDns, facts from packaged lists. */
export class EmailValidator {
  constructor(
    private readonly dns: DomainDns,
    private readonly lists: AddressLists,
    private readonly listener: ValidationListener = {},
  ) {}

  async validate(email: string, options: ValidateOptions = {}): Promise<EmailValidation> {
    const [answer] = await this.validateMany([email], options);
    return answer as EmailValidation;
  }

  /** Validates many addresses in order, looking each distinct domain up once. */
  async validateMany(emails: readonly string[], options: ValidateOptions = {}): Promise<EmailValidation[]> {
    const parsed = emails.map(parse);
    const wantsDns = options.dns !== false;
    const domains = wantsDns ? parsed.flatMap((p) => (p.ok ? [p.domain] : [])) : [];
    const answers = await this.dns.lookupMany(domains);
    const results = parsed.map((p) => this.answerFor(p, p.ok && wantsDns ? answers.get(p.domain) : undefined));
    const counts = new Map<ValidationResult, number>();
    for (const r of results) counts.set(r.result, (counts.get(r.result) ?? 0) + 1);
    for (const [result, count] of counts) this.listener.onValidated?.(result, count);
    return results;
  }

  private answerFor(p: Parsed, dns: DnsAnswer | undefined): EmailValidation {
    if (!p.ok) {
      const verdict = verdictOf({ syntaxValid: false, dns: undefined, lists: undefined });
      return {
        email: p.email,
        normalized: null,
        ...verdict,
        checks: { syntax: { valid: false, reason: p.reason }, domain: null, dns: null, disposable: false, role: false, free: false, typo: null },
      };
    }
    const lists: ListFacts = this.lists.factsOf(p.local, p.domain);
    const verdict = verdictOf({ syntaxValid: true, dns: dns?.status, lists });
    return {
      email: p.email,
      normalized: `${p.local}@${p.domain}`,
      ...verdict,
      checks: {
        syntax: { valid: true, reason: null },
        domain: { ascii: p.domain, unicode: domainToUnicode(p.domain) },
        dns: dns === undefined ? null : { status: dns.status, mx: dns.mx },
        ...lists,
      },
    };
  }
}
