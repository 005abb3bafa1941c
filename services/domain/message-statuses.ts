/** Every state of a message (DESIGN section 4). */
export const MESSAGE_STATUSES = [
  'pending',
  'queued',
  'scheduled',
  'sending',
  'sent',
  'delivered',
  'bounced',
  'failed',
  'cancelled',
  'suppressed',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** States a worker may claim a message from. */
export const CLAIMABLE_STATUSES = ['pending', 'queued', 'scheduled'] as const satisfies readonly MessageStatus[];
