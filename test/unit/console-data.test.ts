import { fillMinutes, messagesHash, messagesQuery, parseRoute, parseVariables, problemSentence, progressPercent, splitAddresses, statusTone } from '../../console/src/data';

// The console's data handling (console/src/data.ts): what it shows must be a sentence, and its
// pages and bars must follow the API's answers exactly.

describe('problemSentence', () => {
  it('uses the detail and names the offending fields', () => {
    expect(problemSentence(422, { title: 'Unprocessable', detail: 'The request is invalid.', errors: [{ field: 'to', message: 'must be an email address' }] })).toBe(
      'The request is invalid: to must be an email address.',
    );
    expect(problemSentence(401, { title: 'Unauthorized', detail: 'The login or password is wrong.' })).toBe('The login or password is wrong.');
  });

  it('falls back to a sentence when there is no problem body, never a stack trace', () => {
    expect(problemSentence(0, undefined)).toMatch(/Herald did not answer/);
    expect(problemSentence(500, '<html>Error: at foo (bar.js:1)</html>')).toMatch(/^Herald could not do this \(HTTP 500\)/);
    expect(problemSentence(404, null)).toBe('This is not here (or not yours to see).');
    expect(problemSentence(403, { title: 'Forbidden' })).toBe('Forbidden.');
  });
});

describe('parseRoute and messagesHash', () => {
  it('maps hashes to pages, with the message filters', () => {
    expect(parseRoute('')).toEqual({ page: 'overview' });
    expect(parseRoute('#/')).toEqual({ page: 'overview' });
    expect(parseRoute('#/messages?status=failed&page=3')).toEqual({ page: 'messages', kind: 'notification', filters: { status: 'failed' }, page_no: 3 });
    expect(parseRoute('#/messages?kind=contact&page=0&tag=&x=1')).toEqual({ page: 'messages', kind: 'contact', filters: {}, page_no: 1 });
    expect(parseRoute('#/messages/abc?kind=contact')).toEqual({ page: 'message', kind: 'contact', id: 'abc' });
    expect(parseRoute('#/templates/welcome')).toEqual({ page: 'template', name: 'welcome' });
    expect(parseRoute('#/keys')).toEqual({ page: 'keys' });
    expect(parseRoute('#/nowhere/else')).toEqual({ page: 'not-found', path: '/nowhere/else' });
  });

  it('round-trips the list filters', () => {
    expect(messagesHash('notification', {}, 1)).toBe('#/messages');
    const filters = { status: 'sent', tag: 'eu & us', q: 'ada@example.com', created_after: '2026-11-30T00:00:00.000Z' };
    const hash = messagesHash('contact', filters, 2);
    expect(parseRoute(hash)).toEqual({ page: 'messages', kind: 'contact', filters, page_no: 2 });
    expect(messagesQuery({ provider: 'smtp', tag: '' }, 1, 25)).toBe('page=1&page_size=25&provider=smtp');
  });
});

describe('progressPercent', () => {
  it('reaches 100 only when everything is done', () => {
    expect(progressPercent(0, 300)).toBe(0);
    expect(progressPercent(299, 300)).toBe(99);
    expect(progressPercent(300, 300)).toBe(100);
    expect(progressPercent(400, 300)).toBe(100);
    expect(progressPercent(0, 0)).toBe(0);
    expect(progressPercent(Number.NaN, 10)).toBe(0);
  });
});

describe('parseVariables and splitAddresses', () => {
  it('takes a JSON object and explains anything else', () => {
    expect(parseVariables('')).toEqual({ ok: true, value: {} });
    expect(parseVariables('{"name":"Ada"}')).toEqual({ ok: true, value: { name: 'Ada' } });
    expect(parseVariables('[1]')).toEqual({ ok: false, error: 'The variables must be a JSON object, like {"name": "Ada"}.' });
    const broken = parseVariables('{name');
    expect(broken.ok).toBe(false);
    expect(!broken.ok && broken.error).toMatch(/^The variables are not valid JSON: .*\.$/);
  });

  it('splits recipients on commas, semicolons and lines', () => {
    expect(splitAddresses(' a@x.test, b@x.test;\nc@x.test ,, ')).toEqual(['a@x.test', 'b@x.test', 'c@x.test']);
  });
});

describe('fillMinutes', () => {
  it('gives every minute of the window, oldest first, with zeroes between deliveries', () => {
    const now = new Date('2026-11-30T10:05:30Z');
    const series = fillMinutes(
      [
        { minute: '2026-11-30T10:05:00.000Z', sent: 3, failed: 1 },
        { minute: '2026-11-30T10:02:00Z', sent: 2, failed: 0 },
        { minute: '2026-11-30T09:00:00Z', sent: 9, failed: 9 },
      ],
      now,
      5,
    );
    expect(series.map((p) => [p.minute.slice(11, 16), p.sent, p.failed])).toEqual([
      ['10:01', 0, 0],
      ['10:02', 2, 0],
      ['10:03', 0, 0],
      ['10:04', 0, 0],
      ['10:05', 3, 1],
    ]);
  });
});

describe('statusTone', () => {
  it('colours outcomes', () => {
    expect(statusTone('sent')).toBe('good');
    expect(statusTone('failed')).toBe('bad');
    expect(statusTone('queued')).toBe('busy');
    expect(statusTone('whatever')).toBe('quiet');
  });
});
