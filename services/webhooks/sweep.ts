import type { WebhookStore } from './store';
import { addWebhookJobs, webhookJobId, type WebhookQueue } from './queue';

const PAGE = 500;

/**
 * The sweeper's webhook half: pending deliveries overdue by the grace period whose job is gone
 * (Redis lost it, or it never got there) or finished without recording the try (a worker died
 * after an error) get their job again. Returns how many it added.
 */
export async function requeueLostDeliveries(store: WebhookStore, queue: WebhookQueue, olderThan: Date): Promise<number> {
  const overdue = await store.overdue(olderThan, PAGE);
  const lost: { deliveryId: string; attempt: number }[] = [];
  for (const row of overdue) {
    const job = { deliveryId: row.id, attempt: row.attempt };
    const existing = await queue.getJob(webhookJobId(job));
    const state = existing === undefined ? undefined : await existing.getState();
    if (state === 'completed' || state === 'failed') await existing?.remove();
    if (state === undefined || state === 'unknown' || state === 'completed' || state === 'failed') lost.push(job);
  }
  await addWebhookJobs(queue, lost);
  return lost.length;
}
