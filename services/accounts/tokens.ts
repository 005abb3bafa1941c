import { createHash, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { UserRole } from './tables';

/** The issuer of the access tokens Herald signs for its own users. */
export const ACCESS_TOKEN_ISSUER = 'herald';
export const USER_SUBJECT_PREFIX = 'user:';

export function userClientId(userId: string): string {
  return `${USER_SUBJECT_PREFIX}${userId}`;
}

/** An access token (HS256 JWT, audience and issuer `herald`) for a user, `ttlS` seconds long. */
export function signAccessToken(user: { readonly id: string; readonly role: UserRole; readonly password_changed_at: Date }, secret: string, ttlS: number): string {
  const scope = user.role === 'admin' ? 'notify:send messages:read admin' : 'notify:send messages:read';
  // Which password the token was issued under: after a change it no longer matches, whatever the clocks say.
  return jwt.sign({ scope, pwd_at: user.password_changed_at.getTime() }, secret, {
    algorithm: 'HS256',
    audience: 'herald',
    issuer: ACCESS_TOKEN_ISSUER,
    subject: userClientId(user.id),
    expiresIn: ttlS,
  });
}

/** An opaque secret: refresh tokens and verification links. */
export function opaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database keeps of a token: SHA-256, hex. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A verification code a person can type: 10 characters (about 49 bits), no look-alikes (0/O, 1/I/L). */
export function verificationCode(): string {
  const alphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(10);
  return [...bytes].map((byte) => alphabet[byte % alphabet.length]).join('');
}
