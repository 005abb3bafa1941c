import jwt from 'jsonwebtoken';

// The named things tests share: credentials the test apps are configured with, the request
// bodies most tests send, and the JWTs the auth tests build. Request bodies are frozen so that
// a test can only vary one by spreading it (`{ ...visitor, website: 'x' }`).

/** The admin key every test app is configured with (HERALD_ADMIN_KEY). */
export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

/** The secret every test app verifies HS256 JWTs with (JWT_SECRET). */
export const JWT_SECRET = 'test-jwt-secret-0123456789abcdef';

/** An Authorization header value carrying `credential` as a bearer token. */
export function bearer(credential: string): string {
  return `Bearer ${credential}`;
}

/** The Authorization header of the admin key, which holds every scope. */
export const adminBearer = bearer(ADMIN_KEY);

// Type aliases rather than interfaces, so that a body also passes as a Record<string, string>.
export type ContactFormBody = Readonly<{ name: string; email: string; message: string }>;

/** What a visitor types into the contact form: a valid POST /api/contact body. */
export const visitor: ContactFormBody = Object.freeze({ name: 'Ada Lovelace', email: 'ada@example.com', message: 'Hello there' });

export type NotificationBody = Readonly<{ to: string; subject: string; text: string }>;

/** The plainest valid POST /api/notify body: one recipient, a subject and a text. */
export const notification: NotificationBody = Object.freeze({ to: 'ops@example.com', subject: 'Disk almost full', text: 'Volume /data is at 91%.' });

/** `count` batch items: the standard notification with `overrides`, keyed `${keyPrefix}-0`, `${keyPrefix}-1`, … */
export function notificationBatch(count: number, keyPrefix: string, overrides: Record<string, unknown> = {}): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({ ...notification, ...overrides, idempotency_key: `${keyPrefix}-${i}` }));
}

/** Seconds since the epoch one hour from now: an `exp` or `nbf` in the future. */
export function inAnHour(): number {
  return Math.floor(Date.now() / 1000) + 3600;
}

/** A value as base64url-encoded JSON, one segment of a JWT. */
export function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Claims Herald accepts (subject billing-service, audience herald, both sending scopes, exp an hour ahead), with `overrides` on top. */
export function jwtClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { sub: 'billing-service', aud: 'herald', scope: 'notify:send messages:read', exp: inAnHour(), ...overrides };
}

/** Signs `claims` as a JWT: HS256 with the test apps' secret unless `options` or `secret` say otherwise. */
export function signJwt(claims: object, options: jwt.SignOptions = {}, secret: jwt.Secret = JWT_SECRET): string {
  return jwt.sign(claims, secret, { algorithm: 'HS256', ...options });
}

/** A JWT without a signature whose header names `alg` (by default `none`), which Herald must refuse. */
export function unsignedJwt(claims: object, alg = 'none'): string {
  return `${base64url({ alg, typ: 'JWT' })}.${base64url(claims)}.`;
}
