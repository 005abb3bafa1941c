import type { Request, Response } from 'express';
import { Problem } from '../platform/errors';

/** The console's session cookie (console.md): the refresh token, never readable by scripts. */
export const SESSION_COOKIE = 'herald_refresh';
const COOKIE_PATH = '/api/auth';
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The value of one cookie of a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Sets, reads and clears the refresh-token cookie. The cookie is HttpOnly, SameSite=Strict,
 * limited to /api/auth and Secure except on localhost; a request that uses it must come from
 * this API's own origin (PUBLIC_URL, or the host it was sent to).
 */
export class SessionCookie {
  private readonly publicOrigin: string;

  constructor(
    publicUrl: string,
    private readonly ttlS: number,
  ) {
    this.publicOrigin = new URL(publicUrl).origin;
  }

  /** Moves the refresh token of a session answer into the cookie and out of the body. */
  keep<T extends { refresh_token: string }>(req: Request, res: Response, session: T): Omit<T, 'refresh_token'> {
    const { refresh_token: token, ...rest } = session;
    res.cookie(SESSION_COOKIE, token, { ...this.options(req), maxAge: this.ttlS * 1000 });
    return rest;
  }

  clear(req: Request, res: Response): void {
    res.clearCookie(SESSION_COOKIE, this.options(req));
  }

  /** The refresh token of the cookie, after checking Origin; 401 without it, 403 from elsewhere. */
  read(req: Request): string {
    const token = cookieValue(req.header('cookie'), SESSION_COOKIE);
    if (token === undefined || token === '') {
      throw new Problem(401, 'Unauthorized', 'Send refresh_token, or the session cookie of a login with "cookie": true; otherwise sign in again.');
    }
    const origin = req.header('origin');
    if (origin === undefined || !this.allowedOrigins(req).has(origin)) {
      throw new Problem(403, 'Forbidden', 'The session cookie is only accepted from this API\'s own origin (the Origin header must match PUBLIC_URL).');
    }
    return decodeURIComponent(token);
  }

  private allowedOrigins(req: Request): Set<string> {
    const allowed = new Set([this.publicOrigin]);
    const host = req.header('host');
    if (host !== undefined) allowed.add(`${req.protocol}://${host}`);
    return allowed;
  }

  private options(req: Request) {
    return { httpOnly: true, sameSite: 'strict' as const, path: COOKIE_PATH, secure: !LOCAL_HOSTS.has(req.hostname) };
  }
}
