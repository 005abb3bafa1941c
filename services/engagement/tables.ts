import type { ColumnType } from 'kysely';

export const TRACKED_LINK_KINDS = ['open', 'click', 'unsubscribe'] as const;
export type TrackedLinkKind = (typeof TRACKED_LINK_KINDS)[number];

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** A random token a sent mail carries: its open pixel, one of its rewritten links, or its unsubscribe link. */
export interface TrackedLinksTable {
  token: string;
  message_id: string;
  kind: TrackedLinkKind;
  /** The link's place among the message's tracked links (0 for the pixel and the unsubscribe link). */
  position: ColumnType<number, number | undefined, number>;
  /** Where a click goes; null for the pixel and the unsubscribe link. */
  url: string | null;
  created_at: Timestamp;
}

/** The key engagement events' IP hashes are made with: one row, written by the migration. */
export interface TrackingSaltTable {
  id: ColumnType<boolean, never, never>;
  salt: string;
}

export interface EngagementTables {
  tracked_links: TrackedLinksTable;
  tracking_salt: TrackingSaltTable;
}
