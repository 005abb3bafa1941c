import { redirectPolicy } from '../../services/contact-form/form-handling';
import { isHoneypotFilled } from '../../services/contact-form/schema';
import { ConfigError, loadConfig } from '../../services/platform/config';
import { maskAddresses, maskEmail } from '../../services/platform/logger';
import { withinDepth } from '../../services/platform/schema-helpers';

describe('configuration of the browser-facing contact form', () => {
  it('accepts origins, * and absolute URLs', () => {
    const config = loadConfig({
      CONTACT_ALLOWED_ORIGINS: 'https://www.example.org, http://localhost:3000,*',
      CONTACT_REDIRECT_ALLOWLIST: 'https://www.example.org/thanks',
    });
    expect(config.contactAllowedOrigins).toEqual(['https://www.example.org', 'http://localhost:3000', '*']);
  });

  it.each([
    ['CONTACT_ALLOWED_ORIGINS', 'www.example.org'],
    ['CONTACT_ALLOWED_ORIGINS', 'javascript:alert(1)'],
    ['CONTACT_REDIRECT_ALLOWLIST', '/thanks'],
    ['CONTACT_REDIRECT_ALLOWLIST', 'ftp://files.example.org/'],
  ])('stops at boot on %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});

describe('redirectPolicy', () => {
  const target = redirectPolicy(['https://a.example/thanks', 'https://b.example', 'https://c.example/']);
  it.each([
    ['https://a.example/thanks', 'https://a.example/thanks'],
    ['https://a.example/thanks?x=1#top', 'https://a.example/thanks?x=1#top'],
    ['https://b.example/any/page', 'https://b.example/any/page'],
    ['https://c.example/', 'https://c.example/'],
    ['https://B.EXAMPLE/x', 'https://b.example/x'],
  ])('follows %s', (given, expected) => expect(target(given)).toBe(expected));

  it.each(['https://a.example/other', 'https://a.example/thanks/', 'http://b.example/', 'https://b.example.evil/', 'https://x@b.example/', '//b.example/', 'b.example', 42, undefined])(
    'refuses %p',
    (given) => expect(target(given)).toBeUndefined(),
  );

  it('ignores allowlist entries that are not http(s) URLs', () => {
    expect(redirectPolicy(['javascript:alert(1)', 'nonsense'])('javascript:alert(1)')).toBeUndefined();
  });
});

describe('honeypot', () => {
  it.each([
    [undefined, false],
    [null, false],
    ['', false],
    ['  \t', false],
    ['x', true],
    [0, true],
    [false, true],
    [[], true],
    [{}, true],
  ])('%p filled: %p', (value, filled) => expect(isHoneypotFilled(value)).toBe(filled));
});

describe('log masking', () => {
  it('masks every address in a line, idempotently', () => {
    const line = '{"to":["jane.doe@example.com","o\'brien+x@mail.example.org"],"msg":"550 <bob@corp.example> rejected; já@exämple.de"}';
    const masked = maskAddresses(line);
    expect(masked).toBe('{"to":["j***@example.com","o***@mail.example.org"],"msg":"550 <b***@corp.example> rejected; j***@exämple.de"}');
    expect(maskAddresses(masked)).toBe(masked);
    expect(maskEmail('jane@example.com')).toBe('j***@example.com');
  });

  it('leaves text without addresses alone', () => {
    const line = '{"msg":"delivered","provider":"smtp","id":"4f7c","at":"@ 12:00"}';
    expect(maskAddresses(line)).toBe(line);
  });
});

describe('withinDepth', () => {
  const nest = (depth: number): unknown => (depth === 0 ? 1 : [nest(depth - 1)]);
  it('counts levels of arrays and objects', () => {
    expect(withinDepth({ a: 1 }, 1)).toBe(true);
    expect(withinDepth({ a: { b: 1 } }, 1)).toBe(false);
    expect(withinDepth(nest(16), 16)).toBe(true);
    expect(withinDepth(nest(17), 16)).toBe(false);
  });

  it('answers for any depth without recursion', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(withinDepth(deep, 16)).toBe(false);
    expect(withinDepth(Array.from({ length: 300_000 }, () => 0), 2)).toBe(true);
  });
});
