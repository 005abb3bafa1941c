import { type Attempt, FINAL_STATUSES, type MessageDetail } from './answers';
import type { HeraldClient } from './herald-client';

const POLL_MS = 500;

export interface FollowCallbacks {
  /** Each attempt once, as it appears. */
  onAttempt(attempt: Attempt): void;
  /** Each status once, as it changes. */
  onStatus(status: string): void;
}

/**
 * Polls a message until it reaches a final status (sent, failed, …) and returns its last detail;
 * undefined when `signal` stopped it first. Herald has no push channel for a user's message yet.
 */
export async function followMessage(client: HeraldClient, id: string, callbacks: FollowCallbacks, signal?: AbortSignal): Promise<MessageDetail | undefined> {
  let seenAttempts = 0;
  let lastStatus: string | undefined;
  for (;;) {
    const detail = await client.message(id);
    for (const attempt of detail.attempts.slice(seenAttempts)) callbacks.onAttempt(attempt);
    seenAttempts = Math.max(seenAttempts, detail.attempts.length);
    if (detail.status !== lastStatus) {
      lastStatus = detail.status;
      callbacks.onStatus(detail.status);
    }
    if (FINAL_STATUSES.has(detail.status)) return detail;
    const stopped = await new Promise<boolean>((resolve) => {
      if (signal?.aborted === true) return resolve(true);
      const onAbort = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(false);
      }, POLL_MS);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    if (stopped) return undefined;
  }
}
