import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { mailgunEventDataSchema, mailgunSignatureSchema, providerEventsAnswerSchema, sendgridEventSchema } from '../provider-events/schema';
import type { OpenApiParts } from './openapi-templates';

/** engagement.md "Provider events in": the webhooks SendGrid and Mailgun post delivery events to. */
export function registerProviderEventPaths(registry: OpenAPIRegistry, parts: Pick<OpenApiParts, 'json' | 'problem'>): void {
  const { json, problem } = parts;
  const Answer = providerEventsAnswerSchema.meta({ id: 'ProviderEventsAnswer' });
  const notConfigured = problem('The provider key variable is not set (`variable` names it), or the database or Redis is unavailable; nothing was recorded');
  registry.registerPath({
    method: 'post',
    path: '/webhooks/sendgrid',
    summary: "SendGrid's Signed Event Webhook: a batch of events",
    description:
      'Verified with ECDSA P-256 / SHA-256 over the timestamp header followed by the raw body, under SENDGRID_WEBHOOK_PUBLIC_KEY. ' +
      'Events are matched by the `herald_message_id` custom arg, else by `sg_message_id`; unknown messages are counted, the rest recorded.',
    request: {
      headers: z.object({ 'X-Twilio-Email-Event-Webhook-Signature': z.string(), 'X-Twilio-Email-Event-Webhook-Timestamp': z.string() }),
      body: { content: { 'application/json': { schema: z.array(sendgridEventSchema) } } },
    },
    responses: {
      '200': json(Answer, 'Recorded; duplicates, unknown messages and event types Herald does not take are counted'),
      '400': problem('Malformed JSON'),
      '401': problem('Missing or bad signature; nothing was recorded'),
      '413': problem('Body too large (4 MB)'),
      '422': problem('The signed body is not an array of events'),
      '503': notConfigured,
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/webhooks/mailgun',
    summary: "Mailgun's webhook: one event",
    description:
      'Verified with HMAC-SHA256 of timestamp + token under MAILGUN_WEBHOOK_SIGNING_KEY; a timestamp more than 5 minutes from now or a token seen before is refused. ' +
      'Events are matched by the `herald_message_id` user variable, else by the message id.',
    request: {
      body: { content: { 'application/json': { schema: z.object({ signature: mailgunSignatureSchema, 'event-data': mailgunEventDataSchema }) } } },
    },
    responses: {
      '200': json(Answer, 'Recorded, or counted as a duplicate, an unknown message or an event type Herald does not take'),
      '400': problem('Malformed JSON'),
      '401': problem('Missing or bad signature, a stale timestamp or a reused token; nothing was recorded'),
      '415': problem('Not JSON'),
      '503': notConfigured,
    },
  });
}
