import { CircuitBreaker } from '../../services/mail/circuit-breaker';
import type { OutgoingMail } from '../../services/mail/outgoing-mail';
import { ProviderChain } from '../../services/mail/provider-chain';
import { createProviders } from '../../services/mail/providers/provider-factory';
import { loadConfig, type ProviderName } from '../../services/platform/config';
import { startFakeMailgun, type FakeMailgun } from '../support/fake-mailgun';
import { startFakeSendgrid, type FakeSendgrid } from '../support/fake-sendgrid';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';

const mail: OutgoingMail = {
  messageId: '<aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee@herald.test>',
  from: 'Herald <herald@example.test>',
  to: ['dev@example.test'],
  cc: [],
  bcc: [],
  subject: 'Deploy finished',
  text: 'secret body text',
  tags: [],
  metadata: {},
};

describe('ProviderChain', () => {
  let sendgrid: FakeSendgrid;
  let mailgun: FakeMailgun;
  let sink: SmtpSink;
  let clock: number;
  let breaker: CircuitBreaker;
  let chain: ProviderChain;

  function buildChain(providers: string): ProviderChain {
    const config = loadConfig({
      MAIL_PROVIDERS: providers,
      SMTP_URL: sink.url,
      SENDGRID_API_KEY: 'SG.chain-key',
      SENDGRID_BASE_URL: sendgrid.url,
      MAILGUN_API_KEY: 'key-chain',
      MAILGUN_DOMAIN: 'mg.example.test',
      MAILGUN_BASE_URL: mailgun.url,
    });
    return new ProviderChain(createProviders(config), breaker);
  }

  beforeEach(async () => {
    [sendgrid, mailgun, sink] = await Promise.all([startFakeSendgrid(), startFakeMailgun(), startSmtpSink()]);
    clock = 0;
    breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 1000, now: () => clock });
    chain = buildChain('sendgrid,mailgun,smtp');
  });
  afterEach(async () => {
    await chain.close();
    await Promise.all([sendgrid.close(), mailgun.close(), sink.close()]);
  });

  it('sends through the first provider when it accepts', async () => {
    const result = await chain.deliver(mail, { useFallback: true });
    expect(result).toMatchObject({ outcome: 'sent', provider: 'sendgrid', tries: [{ provider: 'sendgrid', outcome: 'sent' }] });
    expect(mailgun.requests).toHaveLength(0);
  });

  it('falls back when the primary answers 500 and records both tries', async () => {
    sendgrid.failNext(500);
    const result = await chain.deliver(mail, { useFallback: true });

    expect(result.outcome).toBe('sent');
    if (result.outcome !== 'sent') return;
    expect(result.provider).toBe('mailgun');
    expect(result.providerMessageId).toMatch(/@mg\.example\.test>$/);
    expect(result.tries.map((entry) => [entry.provider, entry.outcome])).toEqual([
      ['sendgrid', 'transient'],
      ['mailgun', 'sent'],
    ]);
    expect(result.tries[0]?.error).toContain('500');
    expect(result.tries[0]?.durationMs).toBeGreaterThanOrEqual(0);
    expect(sendgrid.requests).toHaveLength(1);
    expect(mailgun.requests).toHaveLength(1);
  });

  it('stops at a permanent 400 without trying the others', async () => {
    sendgrid.failNext(400);
    const result = await chain.deliver(mail, { useFallback: true });

    expect(result.outcome).toBe('permanent');
    if (result.outcome === 'sent') return;
    expect(result.error).toContain('sendgrid');
    expect(result.error).toContain('400');
    expect(result.tries).toEqual([expect.objectContaining({ provider: 'sendgrid', outcome: 'permanent' })]);
    expect(mailgun.requests).toHaveLength(0);
    expect(sink.messages).toHaveLength(0);
  });

  it('stops at an SMTP 550 as well', async () => {
    const smtpFirst = buildChain('smtp,sendgrid');
    try {
      sink.rejectNextRecipients(1, 550);
      const result = await smtpFirst.deliver(mail, { useFallback: true });
      expect(result.outcome).toBe('permanent');
      expect(result.tries.map((entry) => entry.outcome)).toEqual(['permanent']);
      expect(sendgrid.requests).toHaveLength(0);
    } finally {
      await smtpFirst.close();
    }
  });

  it('tries only one provider when fallback is off', async () => {
    sendgrid.failNext(500);
    const result = await chain.deliver(mail, { useFallback: false });

    expect(result.outcome).toBe('transient');
    expect(result.tries.map((entry) => entry.provider)).toEqual(['sendgrid']);
    expect(mailgun.requests).toHaveLength(0);
  });

  it('tries the preferred provider first, then the rest in chain order', async () => {
    mailgun.failNext(429);
    const result = await chain.deliver(mail, { preferred: 'mailgun', useFallback: true });

    expect(result.tries.map((entry) => [entry.provider, entry.outcome])).toEqual([
      ['mailgun', 'transient'],
      ['sendgrid', 'sent'],
    ]);
  });

  it('uses only the preferred provider when fallback is off', async () => {
    const result = await chain.deliver(mail, { preferred: 'smtp', useFallback: false });
    expect(result).toMatchObject({ outcome: 'sent', provider: 'smtp' });
    expect(sendgrid.requests).toHaveLength(0);
    await sink.waitFor(1);
  });

  it('ignores a preferred provider that is not in the chain', async () => {
    const result = await chain.deliver(mail, { preferred: 'outbox', useFallback: false });
    expect(result).toMatchObject({ outcome: 'sent', provider: 'sendgrid' });
  });

  it('fails transiently when every provider failed transiently, moving past misconfiguration', async () => {
    sendgrid.failNext(401);
    mailgun.failNext(503);
    sink.rejectNextRecipients(1, 451);
    const result = await chain.deliver(mail, { useFallback: true });

    expect(result.outcome).toBe('transient');
    if (result.outcome === 'sent') return;
    expect(result.tries.map((entry) => [entry.provider, entry.outcome])).toEqual([
      ['sendgrid', 'transient'],
      ['mailgun', 'transient'],
      ['smtp', 'transient'],
    ]);
    expect(result.tries[0]?.error).toMatch(/^misconfigured: .*401/);
    expect(result.error).toContain('sendgrid');
    expect(result.error).toContain('mailgun');
    expect(result.error).toContain('smtp');
    for (const entry of result.tries) expect(entry.error).not.toContain('secret body text');
  });

  it('skips a provider whose circuit is open and closes it after the cool-down', async () => {
    sendgrid.failNext(500, 2);
    await chain.deliver(mail, { useFallback: true });
    await chain.deliver(mail, { useFallback: true });
    expect(breaker.openProviders()).toEqual<ProviderName[]>(['sendgrid']);

    const skipped = await chain.deliver(mail, { useFallback: true });
    expect(skipped.tries.map((entry) => [entry.provider, entry.outcome])).toEqual([
      ['sendgrid', 'skipped'],
      ['mailgun', 'sent'],
    ]);
    expect(sendgrid.requests).toHaveLength(2);

    clock += 1000;
    const probe = await chain.deliver(mail, { useFallback: true });
    expect(probe).toMatchObject({ outcome: 'sent', provider: 'sendgrid' });
    expect(breaker.openProviders()).toEqual([]);
    expect(sendgrid.requests).toHaveLength(3);
  });

  it('reports a transient failure when every provider is skipped', async () => {
    for (const name of ['sendgrid', 'mailgun', 'smtp'] as const) {
      breaker.recordFailure(name);
      breaker.recordFailure(name);
    }
    const result = await chain.deliver(mail, { useFallback: true });
    expect(result.outcome).toBe('transient');
    if (result.outcome === 'sent') return;
    expect(result.tries.map((entry) => entry.outcome)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(result.error).toContain('circuit open');
    expect(sendgrid.requests).toHaveLength(0);
  });

  it('does not count a permanent rejection against the provider', async () => {
    sendgrid.failNext(400, 3);
    for (let i = 0; i < 3; i += 1) await chain.deliver(mail, { useFallback: true });
    expect(breaker.isOpen('sendgrid')).toBe(false);
  });

  it('reports a chain without providers as transient', async () => {
    const empty = new ProviderChain([], breaker);
    const result = await empty.deliver(mail, { useFallback: true });
    expect(result).toEqual({ outcome: 'transient', error: 'no mail provider configured', tries: [] });
  });
});
