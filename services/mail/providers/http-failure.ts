import type { FailureKind } from './mail-provider';

const MAX_DETAIL_LENGTH = 300;

/** Maps an HTTP API status to a failure kind (DESIGN section 5). */
export function classifyHttpStatus(status: number): FailureKind {
  // Bad credentials, or a base URL / sending domain the provider does not know.
  if (status === 401 || status === 403 || status === 404 || status === 405) return 'misconfigured';
  // The message itself was refused: another provider or a retry would get the same answer.
  if (status === 400 || status === 413 || status === 422) return 'permanent';
  // 429, 5xx and anything we do not recognise may go through later.
  return 'transient';
}

/** Shortens a provider's answer for an error message: one line, bounded length. */
export function shortDetail(detail: string): string {
  const oneLine = detail.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_DETAIL_LENGTH ? `${oneLine.slice(0, MAX_DETAIL_LENGTH)}…` : oneLine;
}
