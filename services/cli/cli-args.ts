import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error';

export const PROVIDER_CHOICES = ['sendgrid', 'mailgun', 'smtp', 'outbox'] as const;

/** One client command, as typed on the command line. */
export type ClientCommand =
  | { readonly name: 'interactive'; readonly remember: boolean }
  | { readonly name: 'login'; readonly username?: string; readonly passwordStdin: boolean; readonly remember: boolean }
  | { readonly name: 'logout' }
  | { readonly name: 'whoami'; readonly json: boolean }
  | { readonly name: 'send'; readonly send: SendOptions }
  | { readonly name: 'messages'; readonly status?: string; readonly json: boolean }
  | { readonly name: 'message'; readonly id: string; readonly json: boolean }
  | { readonly name: 'help'; readonly text: string };

export interface SendOptions {
  readonly to: readonly string[];
  readonly subject?: string;
  readonly text?: string;
  readonly htmlFile?: string;
  readonly template?: string;
  readonly variables: Readonly<Record<string, string>>;
  readonly attach: readonly string[];
  readonly from?: string;
  readonly provider?: string;
  readonly fallback: boolean;
  readonly wait: boolean;
  readonly json: boolean;
}

export const CLIENT_COMMANDS = ['interactive', 'login', 'logout', 'whoami', 'send', 'messages', 'message'] as const;
export type ClientCommandName = (typeof CLIENT_COMMANDS)[number];

export function isClientCommand(name: string): name is ClientCommandName {
  return (CLIENT_COMMANDS as readonly string[]).includes(name);
}

export const CLIENT_USAGE: Readonly<Record<ClientCommandName, string>> = {
  interactive: `usage: herald interactive [--remember]   (also: herald, with no command, on a terminal)

  Menus to log in or register, send an email and follow it, list your messages, see your
  profile and sender identities. Talks to HERALD_URL (default http://localhost:8002).
  --remember   keep the refresh token in ~/.config/herald/session.json (mode 0600)
  Ctrl-C goes back one level; at the top it quits.`,
  login: `usage: herald login [--username U] [--password-stdin] [--remember]

  Logs in (asking for what is missing; the password is not echoed).
  --username U       username or email address
  --password-stdin   read the password from the first line of standard input
  --remember         keep the session in ~/.config/herald/session.json (mode 0600) for later commands;
                     without it the access token is printed, for HERALD_TOKEN`,
  logout: `usage: herald logout

  Revokes the remembered session at the server and deletes ~/.config/herald/session.json.`,
  whoami: `usage: herald whoami [--json]

  Shows the user of HERALD_TOKEN or of the remembered session.`,
  send: `usage: herald send --to ADDRESS [--to …] (--subject S (--text T | --html-file F) | --template NAME [--var k=v]…)
                   [--attach FILE]… [--from ADDRESS] [--provider sendgrid|mailgun|smtp|outbox] [--no-fallback]
                   [--wait] [--json]

  Sends an email and prints its id (--json: the whole answer).
  --text T           a plain-text body ("-" reads it from standard input)
  --html-file F      an HTML body from a file
  --template NAME    a stored template (name or name@version), with --var name=value for each variable
  --attach FILE      a file to attach (repeatable; at most 10, 10 MB in all)
  --from ADDRESS     one of your verified sender identities (default: your default one)
  --provider P       try this provider first; --no-fallback: only it
  --wait             follow the message until it is sent or failed; exit 0 only when sent`,
  messages: `usage: herald messages [--status S] [--json]

  Your last 20 messages, newest first. --status: pending, queued, scheduled, sending, sent,
  delivered, bounced, failed, cancelled or suppressed.`,
  message: `usage: herald message ID [--json]

  One message: its status, its attempts (provider, outcome) and its events.`,
};

function parse<const O extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: O, usage: string, positionals = 0) {
  try {
    const parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    if (parsed.positionals.length > positionals) throw new Error(`unexpected argument "${parsed.positionals[positionals] ?? ''}"`);
    return parsed;
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
  }
}

function variablesOf(pairs: readonly string[], usage: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--var must be name=value, not "${pair}"\n\n${usage}`);
    variables[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return variables;
}

function parseSend(args: readonly string[]): SendOptions {
  const usage = CLIENT_USAGE.send;
  const { values } = parse(
    args,
    {
      to: { type: 'string', multiple: true },
      subject: { type: 'string' },
      text: { type: 'string' },
      'html-file': { type: 'string' },
      template: { type: 'string' },
      var: { type: 'string', multiple: true },
      attach: { type: 'string', multiple: true },
      from: { type: 'string' },
      provider: { type: 'string' },
      'no-fallback': { type: 'boolean', default: false },
      wait: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    usage,
  );
  const str = (name: 'subject' | 'text' | 'html-file' | 'template' | 'from' | 'provider'): string | undefined => values[name];
  const list = (name: 'to' | 'var' | 'attach'): string[] => values[name] ?? [];
  const to = list('to');
  const template = str('template');
  const bodies = [str('text'), str('html-file')].filter((value) => value !== undefined).length;
  if (to.length === 0) throw new UsageError(`send needs --to\n\n${usage}`);
  if (template === undefined) {
    if (str('subject') === undefined) throw new UsageError(`send needs --subject (or --template)\n\n${usage}`);
    if (bodies !== 1) throw new UsageError(`send needs one of --text or --html-file (or --template)\n\n${usage}`);
    if (list('var').length > 0) throw new UsageError(`--var goes with --template\n\n${usage}`);
  } else if (bodies > 0 || str('subject') !== undefined) {
    throw new UsageError(`--template renders the subject and body: leave out --subject, --text and --html-file\n\n${usage}`);
  }
  const provider = str('provider');
  if (provider !== undefined && !(PROVIDER_CHOICES as readonly string[]).includes(provider)) {
    throw new UsageError(`--provider must be one of ${PROVIDER_CHOICES.join(', ')}\n\n${usage}`);
  }
  const fallback = values['no-fallback'] !== true;
  if (!fallback && provider === undefined) throw new UsageError(`--no-fallback needs --provider\n\n${usage}`);
  return {
    to,
    subject: str('subject'),
    text: str('text'),
    htmlFile: str('html-file'),
    template,
    variables: variablesOf(list('var'), usage),
    attach: list('attach'),
    from: str('from'),
    provider,
    fallback,
    wait: values.wait === true,
    json: values.json === true,
  };
}

const MESSAGE_STATUS_WORDS = ['pending', 'queued', 'scheduled', 'sending', 'sent', 'delivered', 'bounced', 'failed', 'cancelled', 'suppressed'];

/** Parses a client command's arguments (after its name); throws UsageError with the command's usage. */
export function parseClientArgs(name: ClientCommandName, args: readonly string[]): ClientCommand {
  const usage = CLIENT_USAGE[name];
  if (args.includes('--help') || args.includes('-h')) return { name: 'help', text: usage };
  switch (name) {
    case 'interactive': {
      const { values } = parse(args, { remember: { type: 'boolean', default: false } }, usage);
      return { name, remember: values.remember === true };
    }
    case 'login': {
      const { values } = parse(
        args,
        { username: { type: 'string' }, 'password-stdin': { type: 'boolean', default: false }, remember: { type: 'boolean', default: false } },
        usage,
      );
      return {
        name,
        username: typeof values.username === 'string' ? values.username : undefined,
        passwordStdin: values['password-stdin'] === true,
        remember: values.remember === true,
      };
    }
    case 'logout':
      parse(args, {}, usage);
      return { name };
    case 'whoami': {
      const { values } = parse(args, { json: { type: 'boolean', default: false } }, usage);
      return { name, json: values.json === true };
    }
    case 'send':
      return { name, send: parseSend(args) };
    case 'messages': {
      const { values } = parse(args, { status: { type: 'string' }, json: { type: 'boolean', default: false } }, usage);
      const status = typeof values.status === 'string' ? values.status : undefined;
      if (status !== undefined && !MESSAGE_STATUS_WORDS.includes(status)) throw new UsageError(`--status must be one of ${MESSAGE_STATUS_WORDS.join(', ')}\n\n${usage}`);
      return { name, status, json: values.json === true };
    }
    case 'message': {
      const { values, positionals } = parse(args, { json: { type: 'boolean', default: false } }, usage, 1);
      const id = positionals[0];
      if (id === undefined) throw new UsageError(`message needs an ID\n\n${usage}`);
      if (!/^[0-9a-f-]{36}$/i.test(id)) throw new UsageError(`"${id}" is not a message id (a UUID)\n\n${usage}`);
      return { name, id, json: values.json === true };
    }
  }
}
