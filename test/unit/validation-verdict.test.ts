import { verdictOf } from '../../services/validation/verdict';

// The README's result and score table ("Recipient validation"), row by row.

const clean = { disposable: false, role: false, free: false, typo: null };

describe('verdictOf', () => {
  it.each([
    ['nxdomain', 'nxdomain'],
    ['null_mx', 'null_mx'],
    ['no_records', 'no_mail_host'],
  ] as const)('DNS %s is undeliverable with score 0', (dns, reason) => {
    expect(verdictOf({ syntaxValid: true, dns, lists: { ...clean, disposable: true } })).toEqual({ result: 'undeliverable', score: 0, reasons: [reason] });
  });

  it('bad syntax is undeliverable whatever else is known', () => {
    expect(verdictOf({ syntaxValid: false, dns: 'ok', lists: clean })).toEqual({ result: 'undeliverable', score: 0, reasons: ['invalid_syntax'] });
  });

  it('penalties add up; risky beats unknown; unknown caps the score at 50', () => {
    expect(verdictOf({ syntaxValid: true, dns: 'ok', lists: clean })).toEqual({ result: 'deliverable', score: 100, reasons: [] });
    expect(verdictOf({ syntaxValid: true, dns: 'no_mx_fallback_a', lists: { ...clean, free: true } })).toEqual({ result: 'deliverable', score: 85, reasons: ['free', 'no_mx_fallback_a'] });
    expect(verdictOf({ syntaxValid: true, dns: 'ok', lists: { ...clean, role: true } })).toEqual({ result: 'risky', score: 75, reasons: ['role'] });
    expect(verdictOf({ syntaxValid: true, dns: 'ok', lists: { ...clean, typo: { suggestion: 'a@gmail.com' } } })).toEqual({ result: 'risky', score: 60, reasons: ['typo'] });
    expect(verdictOf({ syntaxValid: true, dns: 'timeout', lists: { ...clean, disposable: true, role: true } })).toEqual({ result: 'risky', score: 15, reasons: ['disposable', 'role', 'dns_timeout'] });
    expect(verdictOf({ syntaxValid: true, dns: 'servfail', lists: clean })).toEqual({ result: 'unknown', score: 50, reasons: ['dns_servfail'] });
    expect(verdictOf({ syntaxValid: true, dns: undefined, lists: clean })).toEqual({ result: 'unknown', score: 50, reasons: ['dns_not_checked'] });
  });
});
