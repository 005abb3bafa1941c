import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, configSchema, DEFAULT_HERALD_URL, loadCliConfig, loadConfig } from '../../services/platform/config';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

describe('loadConfig', () => {
  it('has working defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8002,
      databaseUrl: 'postgres://root@127.0.0.1:5432/herald',
      redisUrl: 'redis://127.0.0.1:6379',
      providers: ['outbox'],
      outboxDir: 'var/outbox',
      retry: { baseDelayMs: 5000, factor: 5, attempts: 4 },
      queuePrefix: '{herald}',
      trustProxy: false,
      logLevel: 'info',
      contactAllowedOrigins: [],
    });
    expect(config.jwtSecret).toBeUndefined();
    expect(config.adminKey).toBeUndefined();
    expect(config.smtpUrl).toBeUndefined();
    expect(config.smtpAllowPrivateHosts).toBe(false);
  });

  it('reads SMTP_ALLOW_PRIVATE_HOSTS as a boolean and refuses anything else', () => {
    expect(loadConfig({ SMTP_ALLOW_PRIVATE_HOSTS: 'true' }).smtpAllowPrivateHosts).toBe(true);
    expect(loadConfig({ SMTP_ALLOW_PRIVATE_HOSTS: '0' }).smtpAllowPrivateHosts).toBe(false);
    expect(configError({ SMTP_ALLOW_PRIVATE_HOSTS: 'yes' }).message).toContain('SMTP_ALLOW_PRIVATE_HOSTS');
  });

  it.each([
    ['unset', undefined],
    ['empty', ''],
    ['blank', ' , '],
  ])('falls back to the outbox when MAIL_PROVIDERS is %s', (_name, value) => {
    expect(loadConfig(value === undefined ? {} : { MAIL_PROVIDERS: value }).providers).toEqual(['outbox']);
  });

  it('keeps the provider chain in the given order', () => {
    const config = loadConfig({
      MAIL_PROVIDERS: 'sendgrid, mailgun,smtp',
      SENDGRID_API_KEY: 'sg',
      MAILGUN_API_KEY: 'mg',
      MAILGUN_DOMAIN: 'mg.example.com',
      SMTP_URL: 'smtp://localhost:1025',
    });
    expect(config.providers).toEqual(['sendgrid', 'mailgun', 'smtp']);
    expect(config.mailgun).toMatchObject({ apiKey: 'mg', domain: 'mg.example.com' });
  });

  it.each([
    ['smtp without SMTP_URL', { MAIL_PROVIDERS: 'smtp' }, 'SMTP_URL'],
    ['smtp with a blank SMTP_URL', { MAIL_PROVIDERS: 'smtp', SMTP_URL: '  ' }, 'SMTP_URL'],
    ['sendgrid without its key', { MAIL_PROVIDERS: 'sendgrid' }, 'SENDGRID_API_KEY'],
    ['mailgun without its domain', { MAIL_PROVIDERS: 'mailgun', MAILGUN_API_KEY: 'k' }, 'MAILGUN_DOMAIN'],
    ['an unknown provider', { MAIL_PROVIDERS: 'smtp,pigeon', SMTP_URL: 'smtp://x' }, 'MAIL_PROVIDERS'],
    ['PORT=abc', { PORT: 'abc' }, 'PORT'],
    ['PORT out of range', { PORT: '70000' }, 'PORT'],
    ['a negative retry delay', { RETRY_BASE_DELAY_MS: '-1' }, 'RETRY_BASE_DELAY_MS'],
    ['zero delivery attempts', { DELIVERY_ATTEMPTS: '0' }, 'DELIVERY_ATTEMPTS'],
    ['a DATABASE_URL that is not a URL', { DATABASE_URL: 'localhost' }, 'DATABASE_URL'],
    ['a short JWT_SECRET', { JWT_SECRET: 'short' }, 'JWT_SECRET'],
    ['a short HERALD_ADMIN_KEY', { HERALD_ADMIN_KEY: 'short' }, 'HERALD_ADMIN_KEY'],
    ['an unknown LOG_LEVEL', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    ['no body bytes in flight', { MAX_BODY_BYTES_IN_FLIGHT: '0' }, 'MAX_BODY_BYTES_IN_FLIGHT'],
    ['a SendGrid webhook key that is not a key', { SENDGRID_WEBHOOK_PUBLIC_KEY: 'not-a-key' }, 'SENDGRID_WEBHOOK_PUBLIC_KEY'],
    ['zero bounce suppression days', { BOUNCE_SUPPRESSION_DAYS: '0' }, 'BOUNCE_SUPPRESSION_DAYS'],
  ])('rejects %s with one line naming the variable', (_name, env, variable) => {
    const error = configError(env);
    expect(error.message).toMatch(new RegExp(`\\b${variable}\\b`));
    expect(error.message).not.toContain('\n');
  });

  it('names every bad variable at once', () => {
    const error = configError({ PORT: 'abc', REDIS_URL: 'nope', LOG_LEVEL: 'loud' });
    for (const variable of ['PORT', 'REDIS_URL', 'LOG_LEVEL']) expect(error.message).toContain(variable);
  });

  it('treats an empty value as unset', () => {
    const config = loadConfig({ PORT: '', RETRY_BASE_DELAY_MS: ' ', RETRY_FACTOR: '', JWT_SECRET: '', HERALD_ADMIN_KEY: ' ', LOG_LEVEL: undefined });
    expect(config.port).toBe(8002);
    expect(config.retry).toEqual({ baseDelayMs: 5000, factor: 5, attempts: 4 });
    expect(config.jwtSecret).toBeUndefined();
    expect(config.adminKey).toBeUndefined();
  });

  it('parses numbers, lists and TRUST_PROXY', () => {
    const config = loadConfig({ PORT: '9000', RETRY_BASE_DELAY_MS: '5', RETRY_FACTOR: '1.5', CONTACT_ALLOWED_ORIGINS: 'https://a.example, https://b.example' });
    expect(config.port).toBe(9000);
    expect(config.retry).toEqual({ baseDelayMs: 5, factor: 1.5, attempts: 4 });
    expect(loadConfig({}).maxBodyBytesInFlight).toBe(64 * 1024 * 1024);
    expect(loadConfig({ MAX_BODY_BYTES_IN_FLIGHT: '1048576' }).maxBodyBytesInFlight).toBe(1048576);
    expect(config.contactAllowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback' }).trustProxy).toBe('loopback');
  });

  it('reads the provider webhook keys and BOUNCE_SUPPRESSION_DAYS', () => {
    expect(loadConfig({}).providerEvents).toEqual({ sendgridPublicKey: undefined, mailgunSigningKey: undefined });
    expect(loadConfig({}).engagement.bounceSuppressionDays).toBe(30);
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const der = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const config = loadConfig({ SENDGRID_WEBHOOK_PUBLIC_KEY: der, MAILGUN_WEBHOOK_SIGNING_KEY: 'mg-key', BOUNCE_SUPPRESSION_DAYS: '7' });
    expect(config.providerEvents).toEqual({ sendgridPublicKey: der, mailgunSigningKey: 'mg-key' });
    expect(config.engagement.bounceSuppressionDays).toBe(7);
    expect(loadConfig({ SENDGRID_WEBHOOK_PUBLIC_KEY: pem }).providerEvents.sendgridPublicKey).toBe(pem.trim());
    const otherCurve = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    expect(configError({ SENDGRID_WEBHOOK_PUBLIC_KEY: otherCurve }).message).toMatch(/SENDGRID_WEBHOOK_PUBLIC_KEY: is not an ECDSA P-256 public key/);
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.retry)).toBe(true);
    expect(Object.isFrozen(config.providers)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.retry as { attempts: number }).attempts = 99;
    }).toThrow(TypeError);
    expect(config.port).toBe(8002);
  });

  it('does not read process.env', () => {
    const previous = process.env.PORT;
    process.env.PORT = '1234';
    try {
      expect(loadConfig({}).port).toBe(8002);
    } finally {
      if (previous === undefined) delete process.env.PORT;
      else process.env.PORT = previous;
    }
  });

  it('names every variable of DESIGN section 7', () => {
    const names = Object.keys(configSchema.shape);
    for (const name of ['PORT', 'DATABASE_URL', 'REDIS_URL', 'MAIL_PROVIDERS', 'SMTP_URL', 'QUEUE_PREFIX', 'JWT_SECRET', 'HERALD_ADMIN_KEY', 'LOG_LEVEL']) {
      expect(names).toContain(name);
    }
  });
});

describe('engagement settings', () => {
  it('tracks nothing by default, keeps bounces 30 days and leaves PUBLIC_URL unset for tracking', () => {
    const config = loadConfig({});
    expect(config.engagement).toEqual({ publicUrl: undefined, trackOpens: false, trackClicks: false, bounceSuppressionDays: 30 });
    expect(config.publicUrl).toBe('http://localhost:8002');
  });

  it('reads TRACK_OPENS, TRACK_CLICKS, BOUNCE_SUPPRESSION_DAYS and PUBLIC_URL without its trailing slash', () => {
    const config = loadConfig({ PUBLIC_URL: 'https://herald.example.org/', TRACK_OPENS: 'true', TRACK_CLICKS: '1', BOUNCE_SUPPRESSION_DAYS: '7' });
    expect(config.engagement).toEqual({ publicUrl: 'https://herald.example.org', trackOpens: true, trackClicks: true, bounceSuppressionDays: 7 });
  });

  it('refuses tracking by default without PUBLIC_URL, naming both', () => {
    expect(configError({ TRACK_OPENS: 'true' }).message).toMatch(/TRACK_OPENS: needs PUBLIC_URL/);
    expect(configError({ TRACK_CLICKS: 'true' }).message).toMatch(/TRACK_CLICKS: needs PUBLIC_URL/);
  });

  it('refuses a BOUNCE_SUPPRESSION_DAYS below one', () => {
    expect(configError({ BOUNCE_SUPPRESSION_DAYS: '0' }).message).toMatch(/BOUNCE_SUPPRESSION_DAYS/);
  });
});

describe('loadCliConfig', () => {
  it('reads HERALD_URL (trailing slashes dropped) and HERALD_TOKEN, and nothing of the server', () => {
    expect(loadCliConfig({ HERALD_URL: 'https://herald.example.org/', HERALD_TOKEN: ' hk_abc ', DATABASE_URL: 'nonsense' })).toEqual({
      heraldUrl: 'https://herald.example.org',
      token: 'hk_abc',
    });
  });

  it('leaves both unset when empty, so the remembered session or the default decide', () => {
    expect(loadCliConfig({ HERALD_URL: '', HERALD_TOKEN: ' ' })).toEqual({ heraldUrl: undefined, token: undefined });
    expect(DEFAULT_HERALD_URL).toBe('http://localhost:8002');
  });

  it('refuses a HERALD_URL that is not http(s)', () => {
    expect(() => loadCliConfig({ HERALD_URL: 'localhost:8002' })).toThrow(ConfigError);
    expect(() => loadCliConfig({ HERALD_URL: 'ftp://herald.example.org' })).toThrow(/HERALD_URL: must be an http\(s\) URL/);
  });
});
