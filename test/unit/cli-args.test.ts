import { parseClientArgs } from '../../services/cli/cli-args';
import { UsageError } from '../../services/cli/usage-error';

describe('parseClientArgs', () => {
  it('parses send with every option, repeatable ones included', () => {
    const command = parseClientArgs('send', [
      '--to', 'a@example.com', '--to', 'b@example.com', '--subject', 'Quote', '--text', 'hi',
      '--attach', 'q.pdf', '--attach', 'terms.txt', '--from', 'sales@example.com', '--provider', 'mailgun', '--no-fallback', '--wait', '--json',
    ]);
    expect(command).toEqual({
      name: 'send',
      send: {
        to: ['a@example.com', 'b@example.com'],
        subject: 'Quote',
        text: 'hi',
        htmlFile: undefined,
        template: undefined,
        variables: {},
        attach: ['q.pdf', 'terms.txt'],
        from: 'sales@example.com',
        provider: 'mailgun',
        fallback: false,
        wait: true,
        json: true,
      },
    });
  });

  it('takes a template with --var name=value, the value may hold "="', () => {
    const command = parseClientArgs('send', ['--to', 'a@example.com', '--template', 'welcome@2', '--var', 'name=Ada', '--var', 'link=https://x.test/?a=b']);
    expect(command).toMatchObject({ send: { template: 'welcome@2', variables: { name: 'Ada', link: 'https://x.test/?a=b' }, fallback: true, wait: false } });
  });

  it.each([
    [['--subject', 's', '--text', 't'], /send needs --to/],
    [['--to', 'a@example.com', '--text', 't'], /needs --subject/],
    [['--to', 'a@example.com', '--subject', 's'], /one of --text or --html-file/],
    [['--to', 'a@example.com', '--subject', 's', '--text', 't', '--html-file', 'f.html'], /one of --text or --html-file/],
    [['--to', 'a@example.com', '--template', 'w', '--subject', 's'], /leave out --subject/],
    [['--to', 'a@example.com', '--subject', 's', '--text', 't', '--var', 'a=b'], /--var goes with --template/],
    [['--to', 'a@example.com', '--template', 'w', '--var', 'novalue'], /--var must be name=value/],
    [['--to', 'a@example.com', '--subject', 's', '--text', 't', '--provider', 'pigeon'], /--provider must be one of/],
    [['--to', 'a@example.com', '--subject', 's', '--text', 't', '--no-fallback'], /--no-fallback needs --provider/],
    [['--to', 'a@example.com', '--subject', 's', '--text', 't', '--colour'], /Unknown option '--colour'/],
  ])('send %j is a usage error', (args, message) => {
    expect(() => parseClientArgs('send', args)).toThrow(UsageError);
    expect(() => parseClientArgs('send', args)).toThrow(message);
  });

  it('a usage error carries the command usage', () => {
    expect(() => parseClientArgs('send', [])).toThrow(/usage: herald send --to ADDRESS/);
  });

  it('parses login, whoami, messages and message', () => {
    expect(parseClientArgs('login', ['--username', 'ada', '--password-stdin', '--remember'])).toEqual({ name: 'login', username: 'ada', passwordStdin: true, remember: true });
    expect(parseClientArgs('login', [])).toEqual({ name: 'login', username: undefined, passwordStdin: false, remember: false });
    expect(parseClientArgs('whoami', ['--json'])).toEqual({ name: 'whoami', json: true });
    expect(parseClientArgs('messages', ['--status', 'failed'])).toEqual({ name: 'messages', status: 'failed', json: false });
    expect(() => parseClientArgs('messages', ['--status', 'lost'])).toThrow(/--status must be one of/);
    const id = '0b7e5f5c-1f2a-4c3d-9e8f-123456789abc';
    expect(parseClientArgs('message', [id, '--json'])).toEqual({ name: 'message', id, json: true });
    expect(() => parseClientArgs('message', [])).toThrow(/message needs an ID/);
    expect(() => parseClientArgs('message', ['12'])).toThrow(/not a message id/);
    expect(() => parseClientArgs('message', [id, id])).toThrow(/unexpected argument/);
    expect(() => parseClientArgs('logout', ['now'])).toThrow(UsageError);
    expect(parseClientArgs('interactive', ['--remember'])).toEqual({ name: 'interactive', remember: true });
  });

  it('--help anywhere gives the command usage', () => {
    expect(parseClientArgs('send', ['--to', 'x', '--help'])).toEqual({ name: 'help', text: expect.stringContaining('usage: herald send') });
    expect(parseClientArgs('login', ['-h'])).toEqual({ name: 'help', text: expect.stringContaining('--password-stdin') });
  });
});
