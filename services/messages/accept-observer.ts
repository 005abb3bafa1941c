import type { MessageKind } from '../platform/database';

/** Told how many new messages of a kind were stored (replays are not new); the metrics count them. */
export type AcceptObserver = (kind: MessageKind, count: number) => void;

/** The observer when nobody is listening. */
export const ignoreAccepted: AcceptObserver = () => undefined;
