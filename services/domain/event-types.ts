/** The `message_events` types: one per transition or provider report a subscriber may hear of. */
export const EVENT_TYPES = [
  'sent',
  'failed',
  'delivered',
  'bounced',
  'complained',
  'opened',
  'clicked',
  'converted',
  'unsubscribed',
  'cancelled',
  'suppressed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The event types a webhook endpoint can subscribe to (design/webhooks.md). */
export const WEBHOOK_EVENT_TYPES = [
  'message.sent',
  'message.failed',
  'message.delivered',
  'message.bounced',
  'message.complained',
  'message.opened',
  'message.clicked',
  'message.converted',
  'message.unsubscribed',
  'message.cancelled',
  'message.suppressed',
  'validation.job.completed',
  'webhook.test',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
