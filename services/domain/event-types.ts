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
