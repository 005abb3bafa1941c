import type { Principal } from '../../services/auth/scopes';
import { SenderNotAllowedError } from '../../services/domain/errors';
import { alignedForProviders, displayNameOf } from '../../services/mail/sender-form';
import { senderOf, type SenderIdentity } from '../../services/notifications/sender';
import { resolvePublicEndpoint, UnsafeAddressError } from '../../services/platform/net-guard';

const config = { mailFrom: 'Herald <herald@herald.test>', mailFromDomains: ['own.example'], accounts: { registration: 'open', requireEmailVerification: true, accessTokenTtlS: 3600, refreshTokenTtlS: 3600 } } as const;
const ada: Principal = { clientId: 'user:u1', scopes: ['notify:send'], via: 'user', user: { id: 'u1', email: 'ada@users.example', name: 'Ada', verified: true } };
const verified = new Date();

function identity(overrides: Partial<SenderIdentity>): SenderIdentity {
  return { id: 'i0', address: 'ada@users.example', display_name: null, is_default: false, verified_at: null, has_smtp: false, ...overrides };
}

const identities = [
  identity({ id: 'account', is_default: true }),
  identity({ id: 'smtp', address: 'ada@mail.example', display_name: 'Ada Mail', has_smtp: true, verified_at: verified }),
  identity({ id: 'owned', address: 'sales@own.example', display_name: 'Sales', verified_at: verified }),
  identity({ id: 'pending', address: 'new@else.example' }),
];

describe('senderOf over identities', () => {
  it('the default identity without `from`; the account email in the via-Herald form with Reply-To it', () => {
    expect(senderOf(ada, {}, config, identities)).toEqual({ user_id: 'u1', identity_id: 'account', from_address: '"Ada via Herald" <herald@herald.test>', reply_to: 'ada@users.example' });
  });

  it('an identity with its own SMTP server is the From as itself, Reply-To only as asked', () => {
    expect(senderOf(ada, { from: 'ADA@mail.example' }, config, identities)).toEqual({ user_id: 'u1', identity_id: 'smtp', from_address: '"Ada Mail" <ada@mail.example>', reply_to: null });
  });

  it('a domain in MAIL_FROM_DOMAINS is the From as itself', () => {
    expect(senderOf(ada, { from: 'sales@own.example', reply_to: 'desk@own.example' }, config, identities)).toMatchObject({ from_address: '"Sales" <sales@own.example>', reply_to: 'desk@own.example' });
  });

  it('an unverified identity or an address outside the identities is refused', () => {
    expect(() => senderOf(ada, { from: 'new@else.example' }, config, identities)).toThrow(SenderNotAllowedError);
    expect(() => senderOf(ada, { from: 'boss@users.example' }, config, identities)).toThrow(SenderNotAllowedError);
  });

  it('other clients: MAIL_FROM only, no identity', () => {
    const service: Principal = { clientId: 'k1', scopes: ['notify:send'], via: 'api-key' };
    expect(senderOf(service, {}, config)).toEqual({ user_id: null, identity_id: null, from_address: null, reply_to: null });
    expect(() => senderOf(service, { from: 'ada@users.example' }, config)).toThrow(SenderNotAllowedError);
  });
});

describe('alignedForProviders', () => {
  const mail = { messageId: '<m@t>', from: '"Ada Mail" <ada@mail.example>', to: ['x@y.example'], cc: [], bcc: [], subject: 's', tags: [], metadata: {} };

  it('rewrites an address the providers may not send as into the via-Herald form with Reply-To', () => {
    expect(alignedForProviders(mail, config)).toMatchObject({ from: '"Ada Mail via Herald" <herald@herald.test>', replyTo: 'ada@mail.example' });
    expect(alignedForProviders({ ...mail, replyTo: 'desk@x.example' }, config).replyTo).toBe('desk@x.example');
  });

  it('leaves MAIL_FROM_DOMAINS addresses and MAIL_FROM alone', () => {
    const owned = { ...mail, from: '"Sales" <sales@own.example>' };
    expect(alignedForProviders(owned, config)).toBe(owned);
    expect(displayNameOf('"Sales" <sales@own.example>')).toBe('Sales');
  });
});

describe('resolvePublicEndpoint', () => {
  it('refuses ports outside the list and private hosts, unless private is allowed', async () => {
    const ports = [25, 465, 587, 2525];
    await expect(resolvePublicEndpoint('8.8.8.8', 2526, { ports, allowPrivate: false })).rejects.toThrow(/port 2526/);
    await expect(resolvePublicEndpoint('127.0.0.1', 587, { ports, allowPrivate: false })).rejects.toBeInstanceOf(UnsafeAddressError);
    await expect(resolvePublicEndpoint('169.254.169.254', 25, { ports, allowPrivate: false })).rejects.toBeInstanceOf(UnsafeAddressError);
    await expect(resolvePublicEndpoint('8.8.8.8', 587, { ports, allowPrivate: false })).resolves.toEqual({ address: '8.8.8.8', family: 4 });
    await expect(resolvePublicEndpoint('127.0.0.1', 40000, { ports, allowPrivate: true })).resolves.toEqual({ address: '127.0.0.1', family: 4 });
  });
});
