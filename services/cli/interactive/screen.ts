import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { styleText } from 'node:util';
import type { AuthSession } from '../auth-session';
import type { HeraldClient } from '../herald-client';
import { HeraldRefusal, renderProblem } from '../problem';

/** What every screen of the interactive mode works with. */
export interface Interactive {
  readonly client: HeraldClient;
  readonly session: AuthSession;
}

/** Ctrl-C at an inquirer prompt: one level up (design/terminal.md). */
export function isBack(error: unknown): boolean {
  return error instanceof Error && error.name === 'ExitPromptError';
}

export function say(text = ''): void {
  process.stdout.write(`${text}\n`);
}

export function sayProblem(error: HeraldRefusal): void {
  const [head = '', ...rest] = renderProblem(error.problem).split('\n');
  say(styleText('red', `✖ ${head}`));
  for (const line of rest) say(styleText('red', line));
}

/** Shows a server refusal and returns true, or returns false for anything else (which the caller rethrows). */
export function showedRefusal(error: unknown): error is HeraldRefusal {
  if (!(error instanceof HeraldRefusal)) return false;
  sayProblem(error);
  return true;
}

/**
 * Where the verification mail can be read. Herald cannot tell the terminal where its mail goes,
 * but the quickstart's always goes to var/outbox/ in the checkout: say so when Herald is local.
 */
export function mailHint(baseUrl: string, address: string): string[] {
  const host = new URL(baseUrl).hostname;
  const lines = [`A verification code was mailed to ${address}.`];
  if (host === 'localhost' || host === '127.0.0.1' || host === '[::1]') {
    const here = existsSync(join(process.cwd(), 'var', 'outbox'));
    lines.push(
      `A Herald run by \`npm run quickstart\` writes its mail to var/outbox/${here ? '' : ' in its checkout'}, an .eml file each.`,
      `Its code:  ${here ? '' : 'cd the-checkout && '}grep -l 'To: ${address}' var/outbox/*.eml | xargs grep -h 'paste this code'`,
    );
  }
  return lines;
}
