export const SCOPES = ['notify:send', 'messages:read', 'templates:write', 'contacts:write', 'suppressions:write', 'webhooks:write', 'validate', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling: the id that scopes idempotency keys and message visibility, and what it may do. */
export interface Principal {
  readonly clientId: string;
  readonly scopes: readonly Scope[];
  readonly via: 'api-key' | 'jwt' | 'admin-key' | 'public' | 'user';
  /** Set when the caller is a Herald user (an access token from /api/auth/login): client id `user:<id>`. */
  readonly user?: PrincipalUser;
}

/** What a request of a user needs to know of them without a query. */
export interface PrincipalUser {
  readonly id: string;
  readonly email: string;
  /** The display name, or the username when there is none. */
  readonly name: string;
  readonly verified: boolean;
}

export const PUBLIC_PRINCIPAL: Principal = Object.freeze({ clientId: 'public', scopes: [], via: 'public' });

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** `admin` implies every other scope. */
export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}
