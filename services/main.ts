#!/usr/bin/env -S node --max-semi-space-size=8 --max-old-space-size=256
// The `herald` command: a dispatcher. Server commands and client commands load only their own modules,
// so `herald send` starts fast and never touches the database, Redis or the server's secrets.
import { isClientCommand } from './cli/cli-args';
import { UsageError } from './cli/usage-error';

const USAGE = `usage: herald [command]

  With no command on a terminal: the interactive mode (log in or register, send, follow, profile).

Talking to a running Herald over HTTP (HERALD_URL, default http://localhost:8002):
  interactive [--remember]          the menus; --remember keeps the session in ~/.config/herald/session.json
  login [--username U] [--password-stdin] [--remember]
                                    log in (asks for what is missing; the password is never echoed)
  logout                            revoke the remembered session and delete its file
  whoami [--json]                   who HERALD_TOKEN or the remembered session is
  send --to A --subject S (--text T | --html-file F) | --template NAME [--var k=v]…
       [--attach F]… [--from A] [--provider P] [--no-fallback] [--wait] [--json]
                                    send an email; prints its id; --wait follows it until sent or failed
  messages [--status S] [--json]    your last 20 messages
  message ID [--json]               one message with its attempts and events
  Auth: HERALD_TOKEN (an API key or access token) or the remembered session.
  Exit codes: 0 done, 1 refused by the server, 2 usage, 3 server unreachable.

Running Herald (reads DATABASE_URL, REDIS_URL, …):
  serve [--role api|worker|all]     run the HTTP API, the delivery workers, or both (default)
  migrate                           apply database migrations
  keys create --name N --scopes a,b create an API key (printed once); scopes: notify:send, messages:read, templates:write,
                                    contacts:write, suppressions:write, webhooks:write, validate, admin
  keys list                         list API keys (never the secrets)
  keys revoke ID                    revoke an API key
  users create-admin --username U --email E --password-file F
                                    create an admin user (verified) with the password in F, unless U exists (quickstart)
  credentials rotate                re-encrypt every stored secret (identities' SMTP passwords, webhook secrets)
                                    under the first key of CREDENTIALS_KEYS
  tail [--json] [--kind K] [--status S] [--provider P] [--id ID] [--since 10m]
                                    follow delivery attempts from every worker live (herald tail --help)

herald <command> --help shows one command.
`;

const SERVER_COMMANDS = ['serve', 'migrate', 'keys', 'users', 'credentials', 'tail'] as const;
type ServerCommand = (typeof SERVER_COMMANDS)[number];

function isServerCommand(name: string): name is ServerCommand {
  return (SERVER_COMMANDS as readonly string[]).includes(name);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined && process.stdin.isTTY && process.stdout.isTTY) {
    const { runClient } = await import('./cli/run-client');
    process.exitCode = await runClient('interactive', []);
    return;
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return;
  }
  if (isClientCommand(command)) {
    const { runClient } = await import('./cli/run-client');
    process.exitCode = await runClient(command, rest);
    return;
  }
  if (isServerCommand(command)) {
    const { runServerCommand } = await import('./server-commands');
    await runServerCommand(command, rest);
    return;
  }
  throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error instanceof Error && error.name === 'ConfigError')) {
    console.error(`herald: ${error.message}`);
    process.exit(2);
  }
  console.error(`herald: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
