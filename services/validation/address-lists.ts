import emailSpellChecker from '@zootools/email-spell-checker';
import { blacklist } from 'mailchecker';
import roleLocalParts from 'role-based-email-addresses';
import freeProviders from 'email-providers/all.json';

const ROLES = new Set<string>([...roleLocalParts, 'postmaster', 'abuse', 'hostmaster', 'noreply', 'no-reply', 'mailer-daemon']);
const FREE = new Set<string>(freeProviders);
const POPULAR = new Set<string>(emailSpellChecker.POPULAR_DOMAINS);

const MAX_REMEMBERED_DOMAINS = 50_000;

/** The facts about an address that come from packaged lists rather than DNS. */
export interface ListFacts {
  readonly disposable: boolean;
  readonly role: boolean;
  readonly free: boolean;
  readonly typo: { readonly suggestion: string } | null;
}

/** The domain and each parent it has below the top level: `a.b.example.com` → itself, `b.example.com`, `example.com`. */
function domainAndParents(domain: string): string[] {
  const labels = domain.split('.');
  const names: string[] = [];
  for (let i = 0; i < labels.length - 1; i += 1) names.push(labels.slice(i).join('.'));
  return names;
}

/**
 * Disposable domains (mailchecker's list plus VALIDATION_EXTRA_DISPOSABLE, parents included),
 * role local parts and free providers from maintained packages, typo suggestions against
 * common providers.
 */
export class AddressLists {
  private readonly disposable: ReadonlySet<string>;
  private readonly extra: ReadonlySet<string>;
  /** What each domain was found to be: the typo check costs ~40 µs, and a batch or job repeats its domains. */
  private readonly byDomain = new Map<string, { disposable: boolean; free: boolean; typoDomain: string | null }>();

  constructor(extraDisposable: readonly string[]) {
    this.disposable = blacklist();
    this.extra = new Set(extraDisposable);
  }

  isDisposable(domain: string): boolean {
    return domainAndParents(domain).some((name) => this.disposable.has(name) || this.extra.has(name));
  }

  /** Facts for a syntactically valid address: `local` as given, `domain` in ASCII (punycode), lower case. */
  factsOf(local: string, domain: string): ListFacts {
    const facts = this.domainFacts(domain);
    return {
      disposable: facts.disposable,
      role: ROLES.has(local.toLowerCase()),
      free: facts.free,
      typo: facts.typoDomain === null ? null : { suggestion: `${local}@${facts.typoDomain}` },
    };
  }

  private domainFacts(domain: string) {
    const known = this.byDomain.get(domain);
    if (known !== undefined) return known;
    // The checker also "corrects" TLDs of any domain (ok.test → ok.de); only a near miss of a common provider counts.
    const suggested = emailSpellChecker.run({ email: `x@${domain}` });
    const isNearMiss = suggested !== undefined && suggested.domain !== domain && POPULAR.has(suggested.domain) && !POPULAR.has(domain);
    const facts = { disposable: this.isDisposable(domain), free: FREE.has(domain), typoDomain: isNearMiss ? suggested.domain : null };
    if (this.byDomain.size >= MAX_REMEMBERED_DOMAINS) this.byDomain.clear();
    this.byDomain.set(domain, facts);
    return facts;
  }
}
