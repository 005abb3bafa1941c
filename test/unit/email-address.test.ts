import { checkEmailAddress } from '../../services/platform/email-address';
import { emailAddress } from '../../services/platform/schema-helpers';

const label63 = 'b'.repeat(63);
const domain195 = `${label63}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`;
// 253 octets as UTF-8, 256 once the first label is punycode (xn--… of 63 octets).
const cjkAddress = `${'a'.repeat(60)}@中文字符测试域名邮件地址长度检查国际化网.${'c'.repeat(63)}.${'d'.repeat(63)}.com`;

describe('checkEmailAddress', () => {
  it.each([
    ['a plain address', 'ada@example.com', 'ada@example.com'],
    ['plus and dots in the local part', 'ada.lovelace+news@mail.example.co.uk', 'ada.lovelace+news@mail.example.co.uk'],
    ['the local part as given and the domain lower-cased', 'Ada@Example.COM', 'Ada@example.com'],
    ['an IDN domain in punycode', 'user@bücher.example', 'user@xn--bcher-kva.example'],
    ['an upper-case IDN domain in punycode', 'info@MÜNCHEN.de', 'info@xn--mnchen-3ya.de'],
    ['a domain already in punycode', 'user@xn--bcher-kva.example', 'user@xn--bcher-kva.example'],
    ['a local part of exactly 64 octets', `${'a'.repeat(64)}@example.com`, `${'a'.repeat(64)}@example.com`],
    ['an address of exactly 254 octets', `${'a'.repeat(58)}@${domain195}`, `${'a'.repeat(58)}@${domain195}`],
    ['a label of exactly 63 octets', `a@${label63}.com`, `a@${label63}.com`],
    ['hyphens inside a label', 'a@my-host.example', 'a@my-host.example'],
  ])('accepts %s', (_name, input, expected) => {
    expect(checkEmailAddress(input)).toEqual({ ok: true, address: expected });
  });

  it.each([
    ['an empty string', ''],
    ['no @', 'ada.example.com'],
    ['nothing before @', '@example.com'],
    ['nothing after @', 'ada@'],
    ['two @', 'ada@home@example.com'],
    ['a local part of 65 octets', `${'a'.repeat(65)}@example.com`],
    ['an address of 255 octets', `${'a'.repeat(59)}@${domain195}`],
    ['an address over 254 octets only once in punycode', cjkAddress],
    ['a label of 64 octets', `a@${'b'.repeat(64)}.com`],
    ['a single-label domain', 'root@localhost'],
    ['an empty label', 'a@example..com'],
    ['a trailing dot', 'a@example.com.'],
    ['a label starting with a hyphen', 'a@-example.com'],
    ['an underscore in the domain', 'a@my_host.example.com'],
    ['a space in the local part', 'ada lovelace@example.com'],
    ['a quoted local part', '"ada lovelace"@example.com'],
    ['a leading dot in the local part', '.ada@example.com'],
    ['two dots in a row in the local part', 'ada..l@example.com'],
    ['a non-ASCII local part', 'jürgen@example.com'],
    ['an IP literal', 'a@[127.0.0.1]'],
    ['a bare IPv4 address as the domain', 'a@127.0.0.1'],
    ['a short IPv4 form the URL parser expands', 'a@127.1'],
    ['a CR LF header injection', 'a@example.com\r\nBcc: victim@example.com'],
    ['a trailing LF', 'a@example.com\n'],
    ['a NUL', 'a\u0000@example.com'],
    ['angle brackets', '<a@example.com>'],
    ['a display name', 'Ada <a@example.com>'],
  ])('rejects %s', (_name, input) => {
    const result = checkEmailAddress(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason.length).toBeGreaterThan(0);
  });

  it('measures the address in the form it is sent, after punycode', () => {
    expect(Buffer.byteLength(cjkAddress)).toBeLessThanOrEqual(254);
    expect(checkEmailAddress(cjkAddress)).toEqual({ ok: false, reason: 'address exceeds 254 octets' });
  });

  it('says which limit was exceeded', () => {
    expect(checkEmailAddress(`${'a'.repeat(65)}@example.com`)).toEqual({ ok: false, reason: 'local part exceeds 64 octets' });
    expect(checkEmailAddress(`${'a'.repeat(59)}@${domain195}`)).toEqual({ ok: false, reason: 'address exceeds 254 octets' });
  });
});

describe('the emailAddress schema', () => {
  it('trims spaces and tabs and normalises the domain', () => {
    expect(emailAddress.parse(' \tAda@Bücher.Example ')).toBe('Ada@xn--bcher-kva.example');
  });

  it.each([
    ['a trailing CR LF', 'ada@example.com\r\n'],
    ['a leading LF', '\nada@example.com'],
    ['a number', 42],
  ])('rejects %s', (_name, input) => {
    expect(emailAddress.safeParse(input).success).toBe(false);
  });
});
