import type { Principal } from '../auth/scopes';
import type { Db } from '../database';
import { NotFoundError } from '../domain/errors';
import { recordEvent } from '../lifecycle/record-event';
import { iso, visibleClient } from '../messages/views';
import type { TrackRequest } from './schema';

/** Conversions a client reports on its messages, recorded as `converted` events. */
export class ConversionService {
  constructor(
    private readonly db: Db,
    /** Enqueues the webhook deliveries the event wrote. */
    private readonly dispatch: (deliveryIds: readonly string[]) => void = () => undefined,
  ) {}

  async track(principal: Principal, input: TrackRequest): Promise<{ message_id: string; type: string; at: string }> {
    const recorded = await recordEvent(this.db, input.message_id, visibleClient(principal), input.type, input.data);
    if (recorded === undefined) throw new NotFoundError('No message with this id.');
    this.dispatch(recorded.webhookDeliveries);
    return { message_id: input.message_id, type: input.type, at: iso(recorded.at) };
  }
}
