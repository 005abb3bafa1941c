import { randomBytes } from 'node:crypto';

/** 128 random bits, base64url: 22 characters. Never derived from the message id, so none can be forged. */
export function newToken(): string {
  return randomBytes(16).toString('base64url');
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{22}$/;

/** Whether a path segment could be a token at all: anything else is answered without a lookup. */
export function isTokenShaped(value: string): boolean {
  return TOKEN_SHAPE.test(value);
}
