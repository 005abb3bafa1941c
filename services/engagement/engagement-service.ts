import type { Db } from '../database';
import { unsubscribe } from '../lifecycle/unsubscribe';
import type { EngagementRecorder } from './engagement-recorder';
import type { IpHasher } from './ip-hasher';
import { isMachineAgent } from './machine-agents';
import { isTokenShaped } from './tokens';

/** Who asked for a tracking URL, as the HTTP request says. */
export interface Requester {
  readonly userAgent: string | undefined;
  readonly ip: string | undefined;
}

/** User agents are kept, but not a novel's worth of one. */
const MAX_AGENT_LENGTH = 512;

/** The public side of engagement: the pixel, the click redirects and one-click unsubscribe. */
export class EngagementService {
  constructor(
    private readonly db: Db,
    private readonly recorder: EngagementRecorder,
    private readonly ipHasher: IpHasher,
    /** Enqueues the webhook deliveries an unsubscribe wrote. */
    private readonly dispatch: (deliveryIds: readonly string[]) => void,
    /** Told of each unsubscribe's client, so the accept-time check sees it at once. */
    private readonly onSuppressed: (clientId: string) => void = () => undefined,
  ) {}

  /** Records an open when the token is a message's pixel; an unknown token records nothing. */
  async open(token: string, requester: Requester): Promise<void> {
    if (!isTokenShaped(token)) return;
    await this.recorder.record({ token, kind: 'open', ...(await this.who(requester)) });
  }

  /** The target of a tracked link, recording the click; undefined for a token that is no link. */
  async click(token: string, requester: Requester): Promise<string | undefined> {
    if (!isTokenShaped(token)) return undefined;
    const result = await this.recorder.record({ token, kind: 'click', ...(await this.who(requester)) });
    return result.url ?? undefined;
  }

  /** Whether the token is an unsubscribe link (a read: showing the page changes nothing). */
  async isUnsubscribeLink(token: string): Promise<boolean> {
    if (!isTokenShaped(token)) return false;
    const row = await this.db.selectFrom('tracked_links').select('token').where('token', '=', token).where('kind', '=', 'unsubscribe').executeTakeFirst();
    return row !== undefined;
  }

  /** Unsubscribes the recipient of the link's message; false for an unknown token. */
  async unsubscribe(token: string): Promise<boolean> {
    if (!isTokenShaped(token)) return false;
    const done = await unsubscribe(this.db, token);
    if (done === undefined) return false;
    this.onSuppressed(done.clientId);
    this.dispatch(done.webhookDeliveries);
    return true;
  }

  private async who(requester: Requester) {
    const userAgent = (requester.userAgent ?? '').slice(0, MAX_AGENT_LENGTH);
    return { userAgent, ipHash: await this.ipHasher.hash(requester.ip), machineAgent: isMachineAgent(userAgent) };
  }
}
