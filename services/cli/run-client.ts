import { cliConfigFromProcessEnv, DEFAULT_HERALD_URL } from '../platform/config';
import { AuthSession } from './auth-session';
import { type ClientCommand, parseClientArgs, type ClientCommandName } from './cli-args';
import { HeraldClient } from './herald-client';
import { HeraldRefusal, HeraldUnreachable } from './problem';
import { runScriptCommand } from './script-commands';
import { SessionStore } from './session-store';
import { UsageError } from './usage-error';

/** Exit codes of the client commands (design/terminal.md). */
export const EXIT = { done: 0, refused: 1, usage: 2, unreachable: 3 } as const;

async function run(command: ClientCommand): Promise<number> {
  if (command.name === 'help') {
    process.stdout.write(`${command.text}\n`);
    return EXIT.done;
  }
  const config = cliConfigFromProcessEnv();
  const store = new SessionStore();
  // HERALD_URL wins; without it, the remembered session's server; else the quickstart's.
  const url = config.heraldUrl ?? (await store.load())?.url ?? DEFAULT_HERALD_URL;
  const session = new AuthSession(store, url, command.name === 'interactive' && command.remember, config.token);
  const client = new HeraldClient(url, session);
  if (command.name === 'interactive') {
    const { runInteractive } = await import('./interactive/interactive-mode');
    return runInteractive({ client, session });
  }
  return runScriptCommand(
    {
      client,
      session,
      store,
      stdin: process.stdin,
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
    },
    command,
  );
}

/** Runs a client command (interactive, login, send, …) over HTTP and resolves with its exit code; it never opens the database. */
export async function runClient(name: ClientCommandName, args: readonly string[]): Promise<number> {
  // `herald messages | head`: a reader that went away is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
  });
  try {
    return await run(parseClientArgs(name, args));
  } catch (error) {
    if (error instanceof HeraldUnreachable) {
      process.stderr.write(`herald: ${error.message}\n`);
      return EXIT.unreachable;
    }
    if (error instanceof HeraldRefusal) {
      process.stderr.write(`herald: ${error.message}\n`);
      return EXIT.refused;
    }
    if (error instanceof UsageError || (error instanceof Error && error.name === 'ConfigError')) {
      process.stderr.write(`herald: ${error.message}\n`);
      return EXIT.usage;
    }
    // Ctrl-C at a prompt of a script command (login asking for the password).
    if (error instanceof Error && error.name === 'ExitPromptError') return 130;
    throw error;
  }
}
