import type { Request, RequestHandler } from 'express';
import { forbidden, Problem } from '../platform/errors';
import type { Authenticator } from './authenticator';
import { type Principal, type Scope, hasScope, PUBLIC_PRINCIPAL } from './scopes';

const PRINCIPAL = Symbol('herald.principal');
type WithPrincipal = Request & { [PRINCIPAL]?: Principal };

/** Requires a bearer credential holding `scope`; 401 without one, 403 without the scope. */
export function requireScope(authenticator: Authenticator, scope: Scope): RequestHandler {
  return async (req, res, next) => {
    const principal = await authenticator.authenticate(req.header('authorization')).catch((error: unknown) => {
      // RFC 9110 requires a 401 to name the scheme the client should use.
      if (error instanceof Problem && error.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="herald"');
      throw error;
    });
    if (!hasScope(principal, scope)) throw forbidden(scope);
    (req as WithPrincipal)[PRINCIPAL] = principal;
    next();
  };
}

/** The caller set by requireScope; the public principal on routes without auth. */
export function principalOf(req: Request): Principal {
  return (req as WithPrincipal)[PRINCIPAL] ?? PUBLIC_PRINCIPAL;
}
