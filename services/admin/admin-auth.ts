import type { RequestHandler } from 'express';
import type { Authenticator } from '../auth/authenticator';
import { hasScope } from '../auth/scopes';
import { forbidden, Problem } from '../platform/errors';

/** Both challenges: Basic makes a browser ask for the key, Bearer is what API clients send. */
const CHALLENGES = ['Basic realm="Herald admin", charset="UTF-8"', 'Bearer realm="herald"'];

/**
 * The credential from `Authorization`, as a bearer header: a bearer token as is, or the password
 * of HTTP basic auth (the user name is ignored; a key given as the user name alone works too).
 */
export function bearerFromAuthorization(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const basic = /^Basic ([A-Za-z0-9+/=]{1,8192})$/i.exec(header.trim());
  if (basic === null) return header;
  const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon === -1 ? decoded : decoded.slice(0, colon);
  const password = colon === -1 ? '' : decoded.slice(colon + 1);
  const key = password !== '' ? password : user;
  return key === '' ? undefined : `Bearer ${key}`;
}

/**
 * Requires the admin scope from an API key, a JWT or HERALD_ADMIN_KEY, sent as a bearer token or as
 * the HTTP basic password, so that a browser can open admin pages. 401 with both challenges, 403 without the scope.
 */
export function requireAdmin(authenticator: Authenticator): RequestHandler {
  return async (req, res, next) => {
    const bearer = bearerFromAuthorization(req.header('authorization'));
    const principal = await authenticator.authenticate(bearer).catch((error: unknown) => {
      if (error instanceof Problem && error.status === 401) res.setHeader('WWW-Authenticate', CHALLENGES);
      throw error;
    });
    if (!hasScope(principal, 'admin')) throw forbidden('admin');
    next();
  };
}
