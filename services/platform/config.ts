import { z } from 'zod';
import { PROVIDER_NAMES, type ProviderName } from '../domain/provider-names';
import { p256PublicKey, parseKeyring } from './crypto';

export type { ProviderName };

// An empty value (`PORT=` in an .env file) means unset, as it does for the text settings, rather than 0.
const emptyAsUnset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(emptyAsUnset, z.coerce.number().int().min(min).max(max).default(fallback));
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));
const bool = (fallback: boolean) =>
  z.preprocess(emptyAsUnset, z.enum(['true', 'false', '1', '0']).default(fallback ? 'true' : 'false')).transform((value) => value === 'true' || value === '1');
const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
/** `5s,5m,30m,2h`: each a whole number with a unit of ms, s, m or h, in milliseconds. */
const durations = z
  .string()
  .default('5s,5m,30m,2h,5h,10h,10h')
  .transform((value, ctx) => {
    const result: number[] = [];
    for (const item of value.split(',').map((part) => part.trim()).filter((part) => part.length > 0)) {
      const match = /^(\d+)(ms|s|m|h)$/.exec(item);
      if (match === null) {
        ctx.addIssue({ code: 'custom', message: `"${item}" is not a duration such as 5s, 30m or 2h` });
        return z.NEVER;
      }
      result.push(Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS]);
    }
    return result;
  });
const list = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

/** The environment variables Herald reads, with their defaults (DESIGN section 7). */
export const configSchema = z
  .object({
    PORT: int(8002, 0, 65535),
    DATABASE_URL: z.string().url().default('postgres://root@127.0.0.1:5432/herald'),
    REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
    MAIL_PROVIDERS: list.pipe(z.array(z.enum(PROVIDER_NAMES))),
    MAIL_FROM: z.string().min(3).default('Herald <herald@localhost>'),
    MAIL_DOMAIN: z.string().min(1).default('herald.localhost'),
    CONTACT_INBOX: z.string().email().default('inbox@localhost.localdomain'),
    SMTP_URL: optionalText,
    SENDGRID_API_KEY: optionalText,
    SENDGRID_BASE_URL: z.string().url().default('https://api.sendgrid.com'),
    MAILGUN_API_KEY: optionalText,
    MAILGUN_DOMAIN: optionalText,
    MAILGUN_BASE_URL: z.string().url().default('https://api.mailgun.net'),
    OUTBOX_DIR: z.string().min(1).default('var/outbox'),
    RETRY_BASE_DELAY_MS: int(5000),
    RETRY_FACTOR: z.preprocess(emptyAsUnset, z.coerce.number().min(1).default(5)),
    DELIVERY_ATTEMPTS: int(4, 1),
    WORKER_CONCURRENCY: int(25, 1),
    QUEUE_PREFIX: z.string().min(1).default('{herald}'),
    JWT_SECRET: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
    HERALD_ADMIN_KEY: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
    CONTACT_RATE_LIMIT: int(5, 1),
    NOTIFY_RATE_LIMIT: int(6000, 1),
    VALIDATE_RATE_LIMIT: int(60000, 1),
    TRUST_PROXY: z.string().default('false'),
    CONTACT_ALLOWED_ORIGINS: list,
    CONTACT_REDIRECT_ALLOWLIST: list,
    SWEEPER_INTERVAL_MS: int(5000, 10),
    SWEEPER_GRACE_MS: int(30000, 0),
    LEASE_MS: int(120000, 100),
    SHUTDOWN_TIMEOUT_MS: int(10000, 0),
    MAX_BODY_BYTES_IN_FLIGHT: int(64 * 1024 * 1024, 1),
    METRICS_TOKEN: optionalText,
    WORKER_HTTP_PORT: int(9102, 0, 65535),
    MAIL_FROM_DOMAINS: list,
    // Unset is allowed (verification links then name localhost), but tracking and unsubscribe links need it set.
    PUBLIC_URL: optionalText.pipe(z.string().url().optional()),
    TRACK_OPENS: bool(false),
    TRACK_CLICKS: bool(false),
    BOUNCE_SUPPRESSION_DAYS: int(30, 1, 3650),
    REGISTRATION: z.enum(['open', 'closed']).default('closed'),
    REQUIRE_EMAIL_VERIFICATION: z.preprocess(emptyAsUnset, z.enum(['true', 'false']).default('true')),
    ACCESS_TOKEN_TTL_S: int(3600, 60, 86400),
    REFRESH_TOKEN_TTL_S: int(30 * 24 * 3600, 60),
    ATTACHMENTS_MAX_BYTES: int(10 * 1024 * 1024, 1, 10 * 1024 * 1024),
    CREDENTIALS_KEYS: optionalText,
    SMTP_ALLOW_PRIVATE_HOSTS: bool(false),
    WEBHOOK_RETRY_SCHEDULE: durations,
    WEBHOOK_DISABLE_AFTER_H: z.preprocess(emptyAsUnset, z.coerce.number().positive().default(120)),
    WEBHOOK_CONCURRENCY_PER_ENDPOINT: int(4, 1),
    WEBHOOK_WORKER_CONCURRENCY: int(50, 1),
    WEBHOOK_TIMEOUT_MS: int(10000, 1),
    WEBHOOK_ALLOW_HTTP: bool(false),
    WEBHOOK_ALLOW_PRIVATE: bool(false),
    DNS_SERVERS: list,
    VALIDATION_DNS_TTL_S: int(3600, 1),
    VALIDATION_EXTRA_DISPOSABLE: list,
    VALIDATION_POLICY: z.enum(['off', 'worker', 'accept']).default('off'),
    SENDGRID_WEBHOOK_PUBLIC_KEY: optionalText,
    MAILGUN_WEBHOOK_SIGNING_KEY: optionalText,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
    const needs: Record<ProviderName, (keyof typeof env)[]> = {
      smtp: ['SMTP_URL'],
      sendgrid: ['SENDGRID_API_KEY'],
      mailgun: ['MAILGUN_API_KEY', 'MAILGUN_DOMAIN'],
      outbox: [],
    };
    const isWebUrl = (value: string) => URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol);
    for (const origin of env.CONTACT_ALLOWED_ORIGINS) {
      if (origin !== '*' && !isWebUrl(origin)) {
        ctx.addIssue({ code: 'custom', path: ['CONTACT_ALLOWED_ORIGINS'], message: `"${origin}" is not * or an http(s) origin such as https://www.example.org` });
      }
    }
    for (const target of env.CONTACT_REDIRECT_ALLOWLIST) {
      if (!isWebUrl(target)) {
        ctx.addIssue({ code: 'custom', path: ['CONTACT_REDIRECT_ALLOWLIST'], message: `"${target}" is not an absolute http(s) URL` });
      }
    }
    if (env.SENDGRID_WEBHOOK_PUBLIC_KEY !== undefined) {
      try {
        p256PublicKey(env.SENDGRID_WEBHOOK_PUBLIC_KEY);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['SENDGRID_WEBHOOK_PUBLIC_KEY'], message: (error as Error).message });
      }
    }
    for (const key of ['TRACK_OPENS', 'TRACK_CLICKS'] as const) {
      if (env[key] && env.PUBLIC_URL === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'needs PUBLIC_URL: tracking links point at it' });
    }
    if (env.CREDENTIALS_KEYS !== undefined) {
      try {
        parseKeyring(env.CREDENTIALS_KEYS);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['CREDENTIALS_KEYS'], message: (error as Error).message });
      }
    }
    for (const provider of env.MAIL_PROVIDERS) {
      for (const key of needs[provider]) {
        if (env[key] === undefined) {
          ctx.addIssue({ code: 'custom', path: [key], message: `is required when MAIL_PROVIDERS includes ${provider}` });
        }
      }
    }
  });

export type Env = z.infer<typeof configSchema>;

export interface Config {
  readonly port: number;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** Ordered provider chain; `['outbox']` when nothing is configured. */
  readonly providers: readonly ProviderName[];
  readonly mailFrom: string;
  readonly mailDomain: string;
  readonly contactInbox: string;
  readonly smtpUrl?: string;
  readonly sendgrid: { readonly apiKey?: string; readonly baseUrl: string };
  readonly mailgun: { readonly apiKey?: string; readonly domain?: string; readonly baseUrl: string };
  readonly outboxDir: string;
  readonly retry: { readonly baseDelayMs: number; readonly factor: number; readonly attempts: number };
  readonly workerConcurrency: number;
  readonly queuePrefix: string;
  readonly jwtSecret?: string;
  readonly adminKey?: string;
  readonly rateLimits: { readonly contactPerMinute: number; readonly notifyPerMinute: number; readonly validatePerMinute: number };
  readonly trustProxy: boolean | number | string;
  readonly contactAllowedOrigins: readonly string[];
  readonly contactRedirectAllowlist: readonly string[];
  readonly sweeper: { readonly intervalMs: number; readonly graceMs: number; readonly leaseMs: number };
  readonly shutdownTimeoutMs: number;
  /** Request-body bytes the API reads and handles at once; beyond them it answers 503. */
  readonly maxBodyBytesInFlight: number;
  readonly metricsToken?: string;
  readonly workerHttpPort: number;
  readonly logLevel: Env['LOG_LEVEL'];
  /** Domains the operator authenticated with the providers: a user's own address there is sent as From as is. */
  readonly mailFromDomains: readonly string[];
  /** Where people's browsers and mail clients reach Herald (verification links); http://localhost:PORT when PUBLIC_URL is unset. */
  readonly publicUrl: string;
  /** Open and click tracking, unsubscribe links and suppressions (design/engagement.md). */
  readonly engagement: {
    /** PUBLIC_URL as set, without a trailing slash; undefined when unset: tracking and marketing mail are then refused. */
    readonly publicUrl?: string;
    /** Defaults of a message's `track`. */
    readonly trackOpens: boolean;
    readonly trackClicks: boolean;
    /** How long a hard bounce keeps its address suppressed. */
    readonly bounceSuppressionDays: number;
  };
  readonly accounts: {
    /** `open`: anyone may register; `closed`: only admins create users. */
    readonly registration: 'open' | 'closed';
    readonly requireEmailVerification: boolean;
    readonly accessTokenTtlS: number;
    readonly refreshTokenTtlS: number;
  };
  /** Decoded bytes of all a message's attachments together. */
  readonly attachmentsMaxBytes: number;
  /** CREDENTIALS_KEYS, parsed: the first key seals, all open; undefined when unset. */
  readonly credentialsKeys?: ReadonlyMap<string, Buffer>;
  /** SMTP_ALLOW_PRIVATE_HOSTS: identities' SMTP servers may be on private addresses and any port (tests, private networks). */
  readonly smtpAllowPrivateHosts: boolean;
  readonly webhooks: {
    /** Delay before each retry, in milliseconds; a delivery is given up after the last. */
    readonly retryScheduleMs: readonly number[];
    readonly disableAfterMs: number;
    readonly concurrencyPerEndpoint: number;
    readonly workerConcurrency: number;
    readonly timeoutMs: number;
    readonly allowHttp: boolean;
    readonly allowPrivate: boolean;
  };
  readonly validation: {
    /** Resolvers as `ip` or `ip:port`; empty for the system's. */
    readonly dnsServers: readonly string[];
    /** How long a domain's positive DNS answer is cached (negative ones: 5 minutes). */
    readonly dnsTtlS: number;
    /** Domains treated as disposable beside mailchecker's list (their subdomains too). */
    readonly extraDisposable: readonly string[];
    /** Where undeliverable recipients are stopped: nowhere, before the provider call, or at accept. */
    readonly policy: Env['VALIDATION_POLICY'];
  };
  /** Verifying the delivery events SendGrid and Mailgun post (design/engagement.md); unset: those routes answer 503. */
  readonly providerEvents: {
    /** SENDGRID_WEBHOOK_PUBLIC_KEY: the Event Webhook's verification key, PEM or base64 DER. */
    readonly sendgridPublicKey?: string;
    /** MAILGUN_WEBHOOK_SIGNING_KEY: the HTTP webhook signing key. */
    readonly mailgunSigningKey?: string;
  };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false' || value === '') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const child of Object.values(value)) {
    if (child !== null && typeof child === 'object') deepFreeze(child as object);
  }
  return Object.freeze(value);
}

/** Parses the environment once; throws a ConfigError naming every bad variable. */
export function loadConfig(source: Record<string, string | undefined>): Config {
  const parsed = configSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  const env = parsed.data;
  const config = deepFreeze<Config>({
    port: env.PORT,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    providers: env.MAIL_PROVIDERS.length > 0 ? env.MAIL_PROVIDERS : ['outbox'],
    mailFrom: env.MAIL_FROM,
    mailDomain: env.MAIL_DOMAIN,
    contactInbox: env.CONTACT_INBOX,
    smtpUrl: env.SMTP_URL,
    sendgrid: { apiKey: env.SENDGRID_API_KEY, baseUrl: env.SENDGRID_BASE_URL },
    mailgun: { apiKey: env.MAILGUN_API_KEY, domain: env.MAILGUN_DOMAIN, baseUrl: env.MAILGUN_BASE_URL },
    outboxDir: env.OUTBOX_DIR,
    retry: { baseDelayMs: env.RETRY_BASE_DELAY_MS, factor: env.RETRY_FACTOR, attempts: env.DELIVERY_ATTEMPTS },
    workerConcurrency: env.WORKER_CONCURRENCY,
    queuePrefix: env.QUEUE_PREFIX,
    jwtSecret: env.JWT_SECRET,
    adminKey: env.HERALD_ADMIN_KEY,
    rateLimits: { contactPerMinute: env.CONTACT_RATE_LIMIT, notifyPerMinute: env.NOTIFY_RATE_LIMIT, validatePerMinute: env.VALIDATE_RATE_LIMIT },
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    contactAllowedOrigins: env.CONTACT_ALLOWED_ORIGINS,
    contactRedirectAllowlist: env.CONTACT_REDIRECT_ALLOWLIST,
    sweeper: { intervalMs: env.SWEEPER_INTERVAL_MS, graceMs: env.SWEEPER_GRACE_MS, leaseMs: env.LEASE_MS },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    maxBodyBytesInFlight: env.MAX_BODY_BYTES_IN_FLIGHT,
    metricsToken: env.METRICS_TOKEN,
    workerHttpPort: env.WORKER_HTTP_PORT,
    logLevel: env.LOG_LEVEL,
    mailFromDomains: env.MAIL_FROM_DOMAINS.map((domain) => domain.toLowerCase()),
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    engagement: {
      publicUrl: env.PUBLIC_URL?.replace(/\/+$/, ''),
      trackOpens: env.TRACK_OPENS,
      trackClicks: env.TRACK_CLICKS,
      bounceSuppressionDays: env.BOUNCE_SUPPRESSION_DAYS,
    },
    accounts: {
      registration: env.REGISTRATION,
      requireEmailVerification: env.REQUIRE_EMAIL_VERIFICATION === 'true',
      accessTokenTtlS: env.ACCESS_TOKEN_TTL_S,
      refreshTokenTtlS: env.REFRESH_TOKEN_TTL_S,
    },
    attachmentsMaxBytes: env.ATTACHMENTS_MAX_BYTES,
    smtpAllowPrivateHosts: env.SMTP_ALLOW_PRIVATE_HOSTS,
    webhooks: {
      retryScheduleMs: env.WEBHOOK_RETRY_SCHEDULE,
      disableAfterMs: Math.round(env.WEBHOOK_DISABLE_AFTER_H * 3_600_000),
      concurrencyPerEndpoint: env.WEBHOOK_CONCURRENCY_PER_ENDPOINT,
      workerConcurrency: env.WEBHOOK_WORKER_CONCURRENCY,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      allowHttp: env.WEBHOOK_ALLOW_HTTP,
      allowPrivate: env.WEBHOOK_ALLOW_PRIVATE,
    },
    validation: {
      dnsServers: env.DNS_SERVERS,
      dnsTtlS: env.VALIDATION_DNS_TTL_S,
      extraDisposable: env.VALIDATION_EXTRA_DISPOSABLE.map((domain) => domain.toLowerCase()),
      policy: env.VALIDATION_POLICY,
    },
    providerEvents: { sendgridPublicKey: env.SENDGRID_WEBHOOK_PUBLIC_KEY, mailgunSigningKey: env.MAILGUN_WEBHOOK_SIGNING_KEY },
  });
  // Key bytes stay out of the frozen tree (deepFreeze cannot freeze a Buffer's contents anyway).
  return env.CREDENTIALS_KEYS === undefined ? config : Object.freeze({ ...config, credentialsKeys: parseKeyring(env.CREDENTIALS_KEYS) });
}

/** Reads `process.env`: the only place in Herald that does. */
export function configFromProcessEnv(): Config {
  return loadConfig(process.env);
}

const cliConfigSchema = z.object({
  HERALD_URL: z.preprocess(emptyAsUnset, z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://localhost:8002' }).optional()),
  HERALD_TOKEN: optionalText,
});

/** What the `herald` client commands (interactive mode, login, send, …) read: never the server's settings. */
export interface CliConfig {
  /** HERALD_URL without a trailing slash; undefined when unset (then the remembered session's, else DEFAULT_HERALD_URL). */
  readonly heraldUrl?: string;
  /** HERALD_TOKEN: an API key or access token that replaces logging in. */
  readonly token?: string;
}

export const DEFAULT_HERALD_URL = 'http://localhost:8002';

/** The client commands' configuration from `source` (tests pass their own). */
export function loadCliConfig(source: Record<string, string | undefined>): CliConfig {
  const parsed = cliConfigSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  return Object.freeze({ heraldUrl: parsed.data.HERALD_URL?.replace(/\/+$/, ''), token: parsed.data.HERALD_TOKEN });
}

/** Reads `process.env` for the client commands. */
export function cliConfigFromProcessEnv(): CliConfig {
  return loadCliConfig(process.env);
}
