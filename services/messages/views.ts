import type { Principal } from '../auth/scopes';
import { hasScope } from '../auth/scopes';

export function iso(date: Date): string;
export function iso(date: Date | null): string | null;
export function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

/** Clients see only their own messages; `admin` sees everyone's. */
export function visibleClient(principal: Principal): string | undefined {
  return hasScope(principal, 'admin') ? undefined : principal.clientId;
}

export const ACCEPTED_MESSAGE = 'Accepted for delivery.';
