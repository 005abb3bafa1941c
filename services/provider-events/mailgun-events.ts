import type { ProviderEventInput } from '../lifecycle/record-provider-events';
import { HERALD_ID_VARIABLE } from '../mail/outgoing-mail';
import { dateOfSeconds, eventIdOf, heraldIdOf, mailgunMessageIds, recipientOf, shortText } from './message-ids';
import type { MailgunEventData } from './schema';

type Reading = Pick<ProviderEventInput, 'type' | 'effect' | 'data' | 'reason'>;

/** Mailgun's own refusals (its suppression lists) and give-ups after retrying: final, but not the address's fault. */
function isDrop(reason: string | undefined): boolean {
  return reason !== undefined && (reason.startsWith('suppress-') || reason === 'old');
}

/** Mailgun's event types Herald takes in, and what each means (design/engagement.md). */
function readingOf(event: MailgunEventData): Reading | undefined {
  const provider_event = event.event;
  const status = event['delivery-status'];
  switch (event.event) {
    case 'delivered':
      return { type: 'delivered', effect: 'deliver', data: { provider_event, code: shortText(status?.code, 16) } };
    case 'failed': {
      const permanent = event.severity === 'permanent';
      const mailgunReason = shortText(event.reason, 64);
      const reason = shortText(status?.description ?? status?.message ?? event.reason, 500);
      const bounce = !permanent ? 'soft' : isDrop(mailgunReason) ? 'dropped' : 'hard';
      return {
        type: 'bounced',
        effect: bounce === 'soft' ? 'none' : bounce === 'dropped' ? 'drop' : 'hard_bounce',
        data: { provider_event, bounce, severity: shortText(event.severity, 16), code: shortText(status?.code, 16), reason, mailgun_reason: mailgunReason },
        reason,
      };
    }
    case 'complained':
      return { type: 'complained', effect: 'complaint', data: { provider_event } };
    case 'opened':
    case 'clicked': {
      const client = event['client-info'];
      const machine = typeof client?.bot === 'string' && client.bot !== '';
      const userAgent = shortText(client?.['user-agent'], 512);
      return event.event === 'opened'
        ? { type: 'opened', effect: 'none', data: { provider_event, machine, user_agent: userAgent } }
        : { type: 'clicked', effect: 'none', data: { provider_event, url: shortText(event.url, 2048), machine, user_agent: userAgent } };
    }
    default:
      // accepted, rejected, unsubscribed, stored: not Herald's to record.
      return undefined;
  }
}

/** A verified Mailgun event as Herald records it; undefined for an event it does not take. */
export function mailgunEvent(event: MailgunEventData, mailDomain: string): ProviderEventInput | undefined {
  const reading = readingOf(event);
  if (reading === undefined) return undefined;
  const messageId = event.message?.headers?.['message-id'];
  const heraldId = heraldIdOf(event['user-variables']?.[HERALD_ID_VARIABLE], messageId, mailDomain);
  const recipient = recipientOf(event.recipient);
  const at = dateOfSeconds(event.timestamp);
  return {
    ...reading,
    providerEventId: eventIdOf(event.id, event),
    ...(heraldId === undefined ? {} : { heraldId }),
    providerMessageIds: mailgunMessageIds(messageId),
    ...(recipient === undefined ? {} : { recipient }),
    ...(at === undefined ? {} : { at }),
  };
}
