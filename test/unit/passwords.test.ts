import { hashPassword, verifyPassword } from '../../services/accounts/passwords';
import { passwordProblem } from '../../services/accounts/password-policy';

describe('password hashes', () => {
  it('are scrypt with their parameters and a fresh salt, and verify only their own password', async () => {
    const [a, b] = await Promise.all([hashPassword('correct horse battery staple'), hashPassword('correct horse battery staple')]);
    expect(a).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery staple', a)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', a)).toBe(false);
  });

  it('are checked at the cost written in the string (so it can be raised later), not at the current one', async () => {
    const cheaper = (await hashPassword('x')).replace(/^scrypt\$15\$/, 'scrypt$10$');
    // Same salt, other cost: the key differs, so the check must use the string's own N.
    expect(await verifyPassword('x', cheaper)).toBe(false);
  });

  it('match nothing when the stored string is malformed', async () => {
    expect(await verifyPassword('x', 'md5$abc')).toBe(false);
    expect(await verifyPassword('x', '')).toBe(false);
  });
});

describe('the password policy', () => {
  const account = { username: 'ada', email: 'ada@example.com' };
  it.each([
    ['short', 'Ab1!xyz', /8 to 128/],
    ['the username', 'ada', /8 to 128|username/],
    ['the email', 'ada@example.com', /username or email/],
    ['common', 'iloveyou', /common/],
    ['guessable', 'ada12345678', /too easy/],
  ])('refuses a %s password', (_what, password, message) => {
    expect(passwordProblem(password, account)).toMatch(message);
  });

  it('takes a long passphrase', () => {
    expect(passwordProblem('correct horse battery staple', account)).toBeUndefined();
  });
});
