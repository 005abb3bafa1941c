import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { Keyring, KeyringError, parseKeyring } from '../../services/platform/crypto';
import { isPublicAddress, resolvePublicAddress, UnsafeAddressError } from '../../services/platform/net-guard';
import { decide } from '../../services/webhooks/deliverer';
import { parseRetryAfter } from '../../services/webhooks/sender';
import { newWebhookSecret, webhookHeaders } from '../../services/webhooks/signing';

const key = () => randomBytes(32).toString('base64');

describe('the credentials keyring', () => {
  it('seals with the first key, opens with any, and binds the ciphertext to its row', () => {
    const old = new Keyring(parseKeyring(`old:${key()}`));
    const oldKey = parseKeyring(`old:${key()}`);
    const sealedOld = new Keyring(oldKey).seal('s3cret', 'row-1');
    const both = new Keyring(new Map([...parseKeyring(`new:${key()}`), ...oldKey]));
    expect(both.currentKeyId).toBe('new');
    expect(both.open(sealedOld, 'row-1')).toBe('s3cret');
    const sealed = both.seal('s3cret', 'row-1');
    expect(sealed.keyId).toBe('new');
    expect(sealed.ciphertext).not.toContain('s3cret');
    expect(both.seal('s3cret', 'row-1').ciphertext).not.toBe(sealed.ciphertext);
    expect(() => both.open(sealed, 'row-2')).toThrow(KeyringError);
    expect(() => old.open(sealed, 'row-1')).toThrow(/no key "new"/);
    const tampered = Buffer.from(sealed.ciphertext, 'base64');
    tampered[14] = (tampered[14] ?? 0) ^ 1;
    expect(() => both.open({ ...sealed, ciphertext: tampered.toString('base64') }, 'row-1')).toThrow(KeyringError);
  });

  it('refuses malformed keyrings without echoing the key', () => {
    expect(() => parseKeyring('nokid')).toThrow(KeyringError);
    expect(() => parseKeyring('k1:c2hvcnQ=')).toThrow(/32 bytes/);
    const k = key();
    expect(() => parseKeyring(`k1:${k},k1:${k}`)).toThrow(/twice/);
    try {
      parseKeyring(`k1:${k.slice(0, 20)}`);
    } catch (error) {
      expect((error as Error).message).not.toContain(k.slice(0, 20));
    }
  });
});

describe('the SSRF guard', () => {
  it.each([
    ['127.0.0.1', false],
    ['10.0.0.1', false],
    ['172.16.5.4', false],
    ['192.168.0.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['::1', false],
    ['fd00:ec2::254', false],
    ['fe80::1', false],
    ['::ffff:10.0.0.1', false],
    ['8.8.8.8', true],
    ['2606:4700:4700::1111', true],
    ['::ffff:8.8.8.8', true],
    ['not-an-ip', false],
  ])('%s public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it('resolves names and refuses private answers unless allowed', async () => {
    await expect(resolvePublicAddress('localhost', { allowPrivate: false })).rejects.toBeInstanceOf(UnsafeAddressError);
    await expect(resolvePublicAddress('[::1]', { allowPrivate: false })).rejects.toBeInstanceOf(UnsafeAddressError);
    await expect(resolvePublicAddress('127.0.0.1', { allowPrivate: true })).resolves.toEqual({ address: '127.0.0.1', family: 4 });
    await expect(resolvePublicAddress('8.8.8.8', { allowPrivate: false })).resolves.toEqual({ address: '8.8.8.8', family: 4 });
  });
});

describe('webhook signing and retries', () => {
  it('signs so that the standardwebhooks package verifies, with either secret during a rotation', () => {
    const [a, b] = [newWebhookSecret(), newWebhookSecret()];
    const body = JSON.stringify({ type: 'message.sent', timestamp: new Date().toISOString(), data: {} });
    const headers = webhookHeaders([a, b], 'evt_1', Math.floor(Date.now() / 1000), body);
    expect(new Webhook(a).verify(body, headers)).toMatchObject({ type: 'message.sent' });
    expect(new Webhook(b).verify(body, headers)).toMatchObject({ type: 'message.sent' });
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
  });

  it('decides: 2xx delivered, 410 gives up and disables, others follow the schedule or Retry-After, then give up', () => {
    const schedule = [5000, 300000];
    expect(decide({ statusCode: 204, durationMs: 1 }, 1, schedule, 0)).toMatchObject({ outcome: 'delivered', error: null });
    expect(decide({ statusCode: 410, durationMs: 1 }, 1, schedule, 0)).toMatchObject({ outcome: 'failed', disableReason: expect.stringContaining('410') });
    expect(decide({ statusCode: 500, durationMs: 1 }, 1, schedule, 0)).toMatchObject({ outcome: 'retry', delayMs: 5000, error: 'HTTP 500' });
    expect(decide({ durationMs: 1, error: 'timeout' }, 2, schedule, 0)).toMatchObject({ outcome: 'retry', delayMs: 300000, error: 'timeout' });
    expect(decide({ statusCode: 503, retryAfterMs: 60000, durationMs: 1 }, 1, schedule, 0)).toMatchObject({ outcome: 'retry', delayMs: 60000 });
    expect(decide({ statusCode: 429, retryAfterMs: 9e9, durationMs: 1 }, 1, schedule, 0)).toMatchObject({ delayMs: 24 * 3600 * 1000 });
    expect(decide({ statusCode: 500, retryAfterMs: 60000, durationMs: 1 }, 1, schedule, 0)).toMatchObject({ delayMs: 5000 });
    expect(decide({ statusCode: 500, durationMs: 1 }, 3, schedule, 0)).toMatchObject({ outcome: 'failed', disableReason: null });
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(parseRetryAfter('120')).toBe(120000);
    expect(parseRetryAfter(new Date(10_000 + 30_000).toUTCString(), 10_000)).toBe(30000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
