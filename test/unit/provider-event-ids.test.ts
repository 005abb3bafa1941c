import { dateOfSeconds, eventIdOf, heraldIdOf, mailgunMessageIds, sendgridMessageIds, shortText } from '../../services/provider-events/message-ids';

const ID = '0b7c6f9e-1111-4222-8333-944455556666';

describe('matching provider events to messages', () => {
  it('takes Herald’s id from the custom arg, else from Herald’s own Message-ID only', () => {
    expect(heraldIdOf(ID.toUpperCase(), undefined, 'herald.test')).toBe(ID);
    expect(heraldIdOf(undefined, `<${ID}@herald.test>`, 'herald.test')).toBe(ID);
    expect(heraldIdOf(undefined, `${ID}@HERALD.test`, 'herald.test')).toBe(ID);
    expect(heraldIdOf(undefined, `<${ID}@elsewhere.test>`, 'herald.test')).toBeUndefined();
    expect(heraldIdOf('not-a-uuid', '<x@herald.test>', 'herald.test')).toBeUndefined();
  });

  it('tries every dot-prefix of sg_message_id, since X-Message-Id is its first part', () => {
    expect(sendgridMessageIds('14c5d75ce93.dfd.64b469.filterdrecv-1.0', '<a@b>')).toEqual([
      '14c5d75ce93',
      '14c5d75ce93.dfd',
      '14c5d75ce93.dfd.64b469',
      '14c5d75ce93.dfd.64b469.filterdrecv-1',
      '14c5d75ce93.dfd.64b469.filterdrecv-1.0',
      '<a@b>',
    ]);
    expect(sendgridMessageIds(undefined, undefined)).toEqual([]);
  });

  it('tries Mailgun’s id with and without its angle brackets', () => {
    expect(mailgunMessageIds('20130503182626.18666.16540@mg.example.test')).toEqual([
      '20130503182626.18666.16540@mg.example.test',
      '<20130503182626.18666.16540@mg.example.test>',
    ]);
    expect(mailgunMessageIds('<x@y>')).toEqual(['x@y', '<x@y>']);
    expect(mailgunMessageIds(42)).toEqual([]);
  });

  it('names an event without an id by its digest, so a repeat is still one event', () => {
    expect(eventIdOf('sg-1', {})).toBe('sg-1');
    expect(eventIdOf(undefined, { event: 'open', n: 1 })).toBe(eventIdOf(undefined, { event: 'open', n: 1 }));
    expect(eventIdOf(undefined, { event: 'open', n: 1 })).not.toBe(eventIdOf(undefined, { event: 'open', n: 2 }));
  });

  it('keeps provider text storable and short, and times sane', () => {
    expect(shortText('550\u0000 user\u0007 unknown', 100)).toBe('550 user unknown');
    expect(shortText('x'.repeat(600), 500)).toHaveLength(500);
    expect(shortText(550, 16)).toBe('550');
    expect(shortText('  ', 16)).toBeUndefined();
    expect(dateOfSeconds(1521233123.5)?.toISOString()).toBe('2018-03-16T20:45:23.500Z');
    expect(dateOfSeconds('1521233123')?.getTime()).toBe(1521233123000);
    expect(dateOfSeconds(-1)).toBeUndefined();
    expect(dateOfSeconds('soon')).toBeUndefined();
  });
});
