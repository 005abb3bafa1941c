import type { ProviderEventInput } from '../lifecycle/record-provider-events';
import { dateOfSeconds, eventIdOf, heraldIdOf, recipientOf, sendgridMessageIds, shortText } from './message-ids';
import { type SendgridEvent, sendgridEventSchema } from './schema';

type Reading = Pick<ProviderEventInput, 'type' | 'effect' | 'data' | 'reason'>;

/** SendGrid's event types Herald takes in, and what each means (design/engagement.md). */
function readingOf(event: SendgridEvent): Reading | undefined {
  const provider_event = event.event;
  switch (event.event) {
    case 'delivered':
      return { type: 'delivered', effect: 'deliver', data: { provider_event, response: shortText(event.response, 200) } };
    case 'bounce': {
      // `type` says which: bounce (the receiver refused the address: hard) or blocked (soft).
      const hard = event.type !== 'blocked';
      const reason = shortText(event.reason, 500);
      return {
        type: 'bounced',
        effect: hard ? 'hard_bounce' : 'none',
        data: { provider_event, bounce: hard ? 'hard' : 'soft', status: shortText(event.status, 16), reason, classification: shortText(event.bounce_classification, 64) },
        reason,
      };
    }
    case 'dropped': {
      const reason = shortText(event.reason, 500);
      return { type: 'bounced', effect: 'drop', data: { provider_event, bounce: 'dropped', reason }, reason };
    }
    case 'spamreport':
      return { type: 'complained', effect: 'complaint', data: { provider_event } };
    case 'open':
      return { type: 'opened', effect: 'none', data: { provider_event, machine: event.sg_machine_open === true, user_agent: shortText(event.useragent, 512) } };
    case 'click':
      return { type: 'clicked', effect: 'none', data: { provider_event, url: shortText(event.url, 2048), machine: false, user_agent: shortText(event.useragent, 512) } };
    default:
      // processed, deferred, unsubscribe, group_unsubscribe, group_resubscribe: not Herald's to record.
      return undefined;
  }
}

/** One posted SendGrid event as Herald records it; undefined for an event it does not take or cannot read. */
export function sendgridEvent(raw: unknown, mailDomain: string): ProviderEventInput | undefined {
  const parsed = sendgridEventSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const event = parsed.data;
  const reading = readingOf(event);
  if (reading === undefined) return undefined;
  const heraldId = heraldIdOf(event.herald_message_id, event['smtp-id'], mailDomain);
  const recipient = recipientOf(event.email);
  const at = dateOfSeconds(event.timestamp);
  return {
    ...reading,
    providerEventId: eventIdOf(event.sg_event_id, raw),
    ...(heraldId === undefined ? {} : { heraldId }),
    providerMessageIds: sendgridMessageIds(event.sg_message_id, event['smtp-id']),
    ...(recipient === undefined ? {} : { recipient }),
    ...(at === undefined ? {} : { at }),
  };
}
