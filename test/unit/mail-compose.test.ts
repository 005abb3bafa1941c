import { composeContact, composeNotification, headerText } from '../../services/mail/compose';
import type { MessageToSend } from '../../services/lifecycle/send-columns';
import { loadConfig } from '../../services/platform/config';
import { escapeHtml } from '../../services/platform/escape-html';

const config = loadConfig({ MAIL_FROM: 'Herald <herald@example.test>', MAIL_DOMAIN: 'herald.test', CONTACT_INBOX: 'inbox@example.test' });

/** A contact message as accepting stores it: composed for the inbox, the visitor's fields beside it. */
function contactRow(visitor: { name?: string; email?: string; message?: string } = {}): MessageToSend {
  const name = visitor.name ?? 'Ada Lovelace';
  const email = visitor.email ?? 'ada@example.test';
  return {
    id: '11111111-2222-4333-8444-555555555555',
    kind: 'contact',
    to: ['inbox@example.test'],
    cc: [],
    bcc: [],
    from_address: null,
    reply_to: email,
    subject: `New contact message from ${name}`,
    text_body: visitor.message ?? 'Hello,\nI would like a quote.',
    html_body: null,
    tags: [],
    metadata: {},
    provider_hint: null,
    use_fallback: true,
    contact_name: name,
    contact_email: email,
    attachment_count: 0,
    identity_id: null,
    category: 'transactional',
    track_opens: null,
    track_clicks: null,
  };
}

function notificationRow(overrides: Partial<MessageToSend> = {}): MessageToSend {
  return {
    id: '66666666-7777-4888-8999-000000000000',
    kind: 'notification',
    to: ['dev@example.test'],
    cc: ['lead@example.test'],
    bcc: [],
    from_address: null,
    reply_to: null,
    subject: 'Build passed',
    text_body: 'ok',
    html_body: null,
    metadata: { build: 7 },
    tags: ['ci'],
    provider_hint: null,
    use_fallback: true,
    contact_name: null,
    contact_email: null,
    attachment_count: 0,
    identity_id: null,
    category: 'transactional',
    track_opens: null,
    track_clicks: null,
    ...overrides,
  };
}

describe('composeContact', () => {
  it('addresses the contact inbox with Reply-To the visitor and a stable Message-ID', () => {
    const mail = composeContact(contactRow(), config);
    expect(mail.messageId).toBe('<11111111-2222-4333-8444-555555555555@herald.test>');
    expect(mail.from).toBe('Herald <herald@example.test>');
    expect(mail.to).toEqual(['inbox@example.test']);
    expect(mail.cc).toEqual([]);
    expect(mail.bcc).toEqual([]);
    expect(mail.replyTo).toBe('ada@example.test');
    expect(mail.subject).toBe('New contact message from Ada Lovelace');
  });

  it('carries the message in a text part and an escaped HTML part', () => {
    const mail = composeContact(contactRow(), config);
    expect(mail.text).toContain('Name: Ada Lovelace');
    expect(mail.text).toContain('Email: ada@example.test');
    expect(mail.text).toContain('Hello,\nI would like a quote.');
    expect(mail.html).toContain('Hello,<br>\nI would like a quote.');
  });

  it('escapes markup from the visitor in the HTML part', () => {
    const mail = composeContact(
      contactRow({ name: '<script>alert(1)</script>', email: 'x"@example.test', message: '<img src=x onerror=alert(1)> & "quotes" \'too\'' }),
      config,
    );
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot; &#39;too&#39;');
    expect(mail.html).toContain('x&quot;@example.test');
  });

  it('keeps control characters in the name out of the subject and Reply-To', () => {
    const mail = composeContact(contactRow({ name: 'Eve\r\nBcc: victim@example.test', email: 'eve@example.test\r\nX-Evil: 1' }), config);
    expect(mail.subject).toBe('New contact message from Eve Bcc: victim@example.test');
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.replyTo).toBe('eve@example.testX-Evil:1');
    expect(mail.replyTo).not.toMatch(/[\r\n\s]/);
  });

  it('normalises every newline style to <br> in the HTML part', () => {
    const mail = composeContact(contactRow({ message: 'a\r\nb\rc\nd' }), config);
    expect(mail.html).toContain('a<br>\nb<br>\nc<br>\nd');
  });
});

describe('composeNotification', () => {
  it('maps the row onto the mail, defaulting From to MAIL_FROM', () => {
    const mail = composeNotification(notificationRow(), config);
    expect(mail).toEqual({
      messageId: '<66666666-7777-4888-8999-000000000000@herald.test>',
      heraldId: '66666666-7777-4888-8999-000000000000',
      from: 'Herald <herald@example.test>',
      to: ['dev@example.test'],
      cc: ['lead@example.test'],
      bcc: [],
      subject: 'Build passed',
      text: 'ok',
      tags: ['ci'],
      metadata: { build: 7 },
    });
  });

  it('uses the row’s From, Reply-To and HTML body when present', () => {
    const mail = composeNotification(
      notificationRow({ from_address: 'CI <ci@example.test>', reply_to: 'team@example.test', text_body: null, html_body: '<p>ok</p>' }),
      config,
    );
    expect(mail.from).toBe('CI <ci@example.test>');
    expect(mail.replyTo).toBe('team@example.test');
    expect(mail.text).toBeUndefined();
    expect(mail.html).toBe('<p>ok</p>');
  });

  it('strips control characters from the subject', () => {
    expect(composeNotification(notificationRow({ subject: 'Hi\r\nBcc: x@example.test' }), config).subject).toBe('Hi Bcc: x@example.test');
  });
});

describe('helpers', () => {
  it('escapeHtml covers the five significant characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('headerText removes C0, C1 and Unicode line separators', () => {
    expect(headerText('\u0000a\u0085b\u2028c\u007f ')).toBe('a b c');
  });
});
