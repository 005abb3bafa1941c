import { readFile } from 'node:fs/promises';
import { input, password } from '@inquirer/prompts';
import { SENT_STATUSES } from './answers';
import type { AuthSession } from './auth-session';
import { attachmentProblem, readAttachment } from './attachment-files';
import type { ClientCommand, SendOptions } from './cli-args';
import { followMessage } from './follow-message';
import type { HeraldClient } from './herald-client';
import { attemptLine, detailLines, summaryLine } from './message-lines';
import type { SessionStore } from './session-store';
import { UsageError } from './usage-error';

/** What a script command needs: the client, the session it authenticates with, and where output goes. */
export interface ScriptContext {
  readonly client: HeraldClient;
  readonly session: AuthSession;
  readonly store: SessionStore;
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  out(line: string): void;
  err(line: string): void;
}

async function firstLineOf(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    if (chunks.some((c) => c.includes(10))) break;
  }
  return (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '').trim();
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** Makes sure a request can carry a token: HERALD_TOKEN, or the remembered session renewed. */
async function requireAuth(ctx: ScriptContext): Promise<void> {
  if (ctx.session.loggedIn) return;
  if (await ctx.session.resume(ctx.client)) return;
  throw new UsageError(`not logged in: run \`herald login --remember\` or set HERALD_TOKEN`);
}

async function login(ctx: ScriptContext, command: Extract<ClientCommand, { name: 'login' }>): Promise<number> {
  const interactive = ctx.stdin.isTTY === true;
  let username = command.username;
  if (username === undefined) {
    if (!interactive) throw new UsageError('login needs --username when standard input is not a terminal');
    username = await input({ message: 'Username or email', required: true });
  }
  let secret: string;
  if (command.passwordStdin) secret = await firstLineOf(ctx.stdin);
  else if (interactive) secret = await password({ message: 'Password', mask: false });
  else throw new UsageError('login needs --password-stdin when standard input is not a terminal');
  if (secret === '') throw new UsageError('the password is empty');
  ctx.session.remember = command.remember;
  const answer = await ctx.client.login(username, secret);
  await ctx.session.adopt(answer);
  const who = answer.user?.username ?? username;
  if (command.remember) {
    ctx.out(`Logged in as ${who}; the session is kept in ${ctx.store.path}`);
  } else {
    ctx.err(`Logged in as ${who}. Access token (valid ${Math.round(answer.expires_in / 60)} minutes), for HERALD_TOKEN:`);
    ctx.out(answer.access_token);
  }
  return 0;
}

async function logout(ctx: ScriptContext): Promise<number> {
  const remembered = await ctx.store.load();
  if (remembered === undefined) {
    ctx.err('No remembered session.');
    return 0;
  }
  try {
    if (await ctx.session.resume(ctx.client)) await ctx.session.logout(ctx.client);
  } finally {
    await ctx.store.remove();
  }
  ctx.out(`Logged out ${remembered.username}; ${ctx.store.path} deleted.`);
  return 0;
}

async function whoami(ctx: ScriptContext, json: boolean): Promise<number> {
  await requireAuth(ctx);
  const me = await ctx.client.me();
  if (json) ctx.out(JSON.stringify(me, null, 2));
  else ctx.out(`${me.username} <${me.email}>  ${me.verified ? 'verified' : 'not verified'}  ${me.role}  at ${ctx.client.baseUrl}`);
  return 0;
}

async function sendBody(options: SendOptions, stdin: NodeJS.ReadableStream): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = { to: options.to };
  if (options.template !== undefined) {
    body.template = options.template;
    if (Object.keys(options.variables).length > 0) body.variables = options.variables;
  } else {
    body.subject = options.subject;
    if (options.text !== undefined) body.text = options.text === '-' ? await readAll(stdin) : options.text;
    if (options.htmlFile !== undefined) {
      try {
        body.html = await readFile(options.htmlFile, 'utf8');
      } catch {
        throw new UsageError(`cannot read --html-file ${options.htmlFile}`);
      }
    }
  }
  if (options.attach.length > 0) {
    for (const path of options.attach) {
      const problem = await attachmentProblem(path);
      if (problem !== undefined) throw new UsageError(`--attach: ${problem}`);
    }
    body.attachments = await Promise.all(options.attach.map(readAttachment));
  }
  if (options.from !== undefined) body.from = options.from;
  if (options.provider !== undefined) body.provider = options.provider;
  if (!options.fallback) body.use_fallback = false;
  return body;
}

async function send(ctx: ScriptContext, options: SendOptions): Promise<number> {
  const body = await sendBody(options, ctx.stdin);
  await requireAuth(ctx);
  const accepted = await ctx.client.notify(body);
  if (!options.wait) {
    ctx.out(options.json ? JSON.stringify(accepted) : accepted.id);
    return 0;
  }
  if (!options.json) ctx.err(`accepted ${accepted.id} (${accepted.status}); following it`);
  const detail = await followMessage(ctx.client, accepted.id, {
    onAttempt: (attempt) => ctx.err(attemptLine(attempt)),
    onStatus: (status) => ctx.err(`status: ${status}`),
  });
  const status = detail?.status ?? accepted.status;
  if (options.json) ctx.out(JSON.stringify({ id: accepted.id, status, attempts: detail?.attempts ?? [], error_message: detail?.error_message ?? null }));
  else ctx.out(accepted.id);
  if (!SENT_STATUSES.has(status) && detail?.error_message !== undefined && detail.error_message !== null) ctx.err(`${status}: ${detail.error_message}`);
  return SENT_STATUSES.has(status) ? 0 : 1;
}

async function messages(ctx: ScriptContext, status: string | undefined, json: boolean): Promise<number> {
  await requireAuth(ctx);
  if (json) {
    ctx.out(JSON.stringify(await ctx.client.messagesRaw({ status }), null, 2));
    return 0;
  }
  const page = await ctx.client.messages({ status });
  if (page.results.length === 0) ctx.out('No messages.');
  for (const message of page.results) ctx.out(`${message.id}  ${summaryLine(message)}`);
  return 0;
}

async function message(ctx: ScriptContext, id: string, json: boolean): Promise<number> {
  await requireAuth(ctx);
  if (json) ctx.out(JSON.stringify(await ctx.client.messageRaw(id), null, 2));
  else for (const line of detailLines(await ctx.client.message(id))) ctx.out(line);
  return 0;
}

/** Runs one script command and returns its exit code; refusals and unreachable servers are thrown. */
export async function runScriptCommand(ctx: ScriptContext, command: Exclude<ClientCommand, { name: 'interactive' | 'help' }>): Promise<number> {
  switch (command.name) {
    case 'login':
      return login(ctx, command);
    case 'logout':
      return logout(ctx);
    case 'whoami':
      return whoami(ctx, command.json);
    case 'send':
      return send(ctx, command.send);
    case 'messages':
      return messages(ctx, command.status, command.json);
    case 'message':
      return message(ctx, command.id, command.json);
  }
}
