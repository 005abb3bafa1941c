import type { MessageRow } from '../messages/tables';

/** The columns a delivery reads (composing the mail and choosing providers), and no others. */
export const SEND_COLUMNS = [
  'id',
  'kind',
  'to',
  'cc',
  'bcc',
  'from_address',
  'reply_to',
  'subject',
  'text_body',
  'html_body',
  'tags',
  'metadata',
  'provider_hint',
  'use_fallback',
  'contact_name',
  'contact_email',
  'attachment_count',
  'identity_id',
  'category',
  'track_opens',
  'track_clicks',
] as const satisfies readonly (keyof MessageRow)[];

export type MessageToSend = Pick<MessageRow, (typeof SEND_COLUMNS)[number]>;

/** What re-adding a row's job needs. */
export interface JobSpec {
  readonly id: string;
  readonly kind: MessageRow['kind'];
  readonly send_at: Date | null;
  readonly priority: number;
}
