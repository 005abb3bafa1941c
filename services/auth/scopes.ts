export const SCOPES = ['notify:send', 'messages:read', 'templates:write', 'contacts:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling: the id that scopes idempotency keys and message visibility, and what it may do. */
export interface Principal {
  readonly clientId: string;
  readonly scopes: readonly Scope[];
  readonly via: 'api-key' | 'jwt' | 'admin-key' | 'public';
}

export const PUBLIC_PRINCIPAL: Principal = Object.freeze({ clientId: 'public', scopes: [], via: 'public' });

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** `admin` implies every other scope. */
export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}
