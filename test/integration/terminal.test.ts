import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { startDnsServer, type TestDnsServer, validationZone } from '../support/dns-server';
import { freePort } from '../support/herald-process';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../support/smtp-sink';
import { runCli, startTerminal, type Terminal } from '../support/terminal';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

// design/terminal.md: the real `herald` program in a tmux pseudo-terminal (and, for the script
// commands, without one) against a real Herald listening on a port, delivering to an SMTP sink.
// Recipients at mx.example have mail; nowhere.example does not exist (the test DNS server), so
// VALIDATION_POLICY=accept makes Herald itself refuse them.

let dns: TestDnsServer;
let sink: SmtpSink;
let t: TestApp;
let worker: WorkerRuntime;
let server: Server;
let url: string;
let home: string;
const terminals: Terminal[] = [];

beforeAll(async () => {
  dns = await startDnsServer(validationZone);
  sink = await startSmtpSink();
  t = await startTestApp({
    MAIL_PROVIDERS: 'smtp',
    SMTP_URL: sink.url,
    MAIL_FROM: 'Herald <herald@herald.test>',
    MAIL_FROM_DOMAINS: 'mx.example',
    REGISTRATION: 'open',
    DNS_SERVERS: dns.address,
    VALIDATION_POLICY: 'accept',
  });
  worker = await startWorkerRuntime(t.infra);
  server = createServer(t.app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
});

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'herald-home-'));
});

afterEach(async () => {
  await Promise.all(terminals.splice(0).map((terminal) => terminal.close()));
  await rm(home, { recursive: true, force: true });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await worker.stop();
  await t.close();
  await sink.close();
  await dns.close();
});

const unique = () => randomBytes(4).toString('hex');
const PASSWORD = 'plum-orbit-candle-97-harbour';

async function mailTo(address: string, subject: RegExp): Promise<SinkMessage> {
  return waitUntil(() => sink.messages.find((m) => m.envelope.rcptTo.includes(address) && subject.test(m.parsed.subject ?? '')), { timeoutMs: 20000, what: `a mail to ${address}` });
}

function codeIn(mail: SinkMessage): string {
  const code = /paste this code: ([A-Z0-9]+)/.exec(mail.parsed.text ?? '')?.[1];
  if (code === undefined) throw new Error(`no code in ${mail.parsed.text}`);
  return code;
}

/** A verified user made over HTTP, for the script commands. */
async function verifiedUser(): Promise<{ username: string; email: string }> {
  const username = `sam${unique()}`;
  const email = `${username}@mx.example`;
  await request(t.app).post('/api/auth/register').send({ username, email, password: PASSWORD }).expect(201);
  const code = codeIn(await mailTo(email, /Confirm/));
  await request(t.app).post('/api/auth/verify').send({ token: code }).expect(200);
  return { username, email };
}

async function terminal(args: string[]): Promise<Terminal> {
  const started = await startTerminal(args, { HOME: home, HERALD_URL: url });
  terminals.push(started);
  return started;
}

// Every step waits on the screen with its own deadline; the whole test may take long on a loaded machine.
const INTERACTIVE_TEST_MS = 180_000;

describe('interactive mode', () => {
  it('registers, takes the mailed code, and sends through the menus: Ctrl-C backs out, a refused recipient is asked again', async () => {
    const username = `ada${unique()}`;
    const email = `${username}@mx.example`;
    const term = await terminal(['interactive']);
    const first = await term.waitFor(/\? What now/, 40000);
    expect(first).toContain(`Herald at ${url} — healthy`);

    await term.press('Down', 'Enter');
    await term.waitFor(/\? Username/);
    await term.line(username);
    await term.waitFor(/\? Email address/);
    await term.line(email);
    await term.waitFor(/\? Password \(8/);
    await term.line(PASSWORD);
    await term.waitFor(/\? Password again/);
    await term.line(PASSWORD);
    await term.waitFor(/\? Verification code/);
    expect(await term.screen()).toContain(`A verification code was mailed to ${email}.`);
    await term.line(codeIn(await mailTo(email, /Confirm/)));
    await term.waitFor(/is verified: you can send now[\s\S]*\? Menu/);

    // Ctrl-C in the send form: back to the menu, nothing sent.
    await term.press('Enter');
    await term.waitFor(/\? To \(email address\)/);
    await term.type('half-typed@');
    await term.press('C-c');
    await term.waitFor(/\(back\)\n\? Menu/);

    await term.press('Enter');
    await term.waitFor(/\(back\)[\s\S]*✔ Menu[^\n]* Send an email\n\? To \(email address\)/);
    // The server's address rule, as you type.
    await term.line('bob@localhost');
    await term.waitFor(/Invalid email address: domain must have at least two labels/);
    await term.press('C-u');
    // A well-formed address Herald refuses (no such domain): only at the send.
    await term.line('bob@nowhere.example');
    await term.waitFor(/\? Recipient name/);
    await term.line('Bob');
    await term.waitFor(/\? Subject/);
    await term.line('Quote 7');
    await term.waitFor(/\? Body format/);
    await term.press('Enter');
    await term.waitFor(/❯ Type it here/);
    await term.press('Enter');
    await term.waitFor(/a line holding only "\." ends it/);
    for (const text of ['Hello Bob,', '', 'the quote is attached in spirit.']) {
      await term.line(text);
    }
    await term.line('.');
    await term.waitFor(/\? Attach a file/);
    await term.line('');
    await term.waitFor(/From: [^\n]*@mx\.example/);
    await term.waitFor(/\? Provider/);
    await term.press('Enter');
    await term.waitFor(/\? Send it\?/);
    await term.press('Enter');
    await term.waitFor(/Recipient Undeliverable[\s\S]*to\.0: undeliverable: nxdomain/);
    // Asked again, with what was typed still there.
    await term.waitFor(/nxdomain\n\? To \(email address\) bob@nowhere\.example/);
    await term.press('C-u');
    await term.line('bob@mx.example');
    await term.waitFor(/✔ To \(email address\) bob@mx\.example[\s\S]*\? Send it\?/);
    await term.press('Enter');
    await term.waitFor(/✔ Sent by smtp\./, 30000);
    const screen = await term.screen();
    expect(screen).toMatch(/attempt 1 {2}smtp {2}sent/);

    const mail = await mailTo('bob@mx.example', /Quote 7/);
    expect(mail.parsed.from?.value[0]?.address).toBe(email);
    expect(mail.parsed.text).toContain('the quote is attached in spirit.');
    expect(screen).not.toContain(PASSWORD);

    // Quit from the menu.
    await term.press('Up', 'Enter');
    expect(await term.exitCode()).toBe(0);
  }, INTERACTIVE_TEST_MS);

  it('a refused login shows the problem and asks again, the login kept; the password is never on screen', async () => {
    const { username } = await verifiedUser();
    const term = await terminal(['interactive', '--remember']);
    await term.waitFor(/\? What now/, 40000);
    await term.press('Enter');
    await term.waitFor(/\? Username or email/);
    await term.line(username);
    await term.waitFor(/\? Password/);
    await term.line('not-the-password-at-all');
    await term.waitFor(new RegExp(`✖ Unauthorized: .+\\n\\? Username or email ${username}`));
    await term.press('Enter');
    await term.waitFor(/✖ Unauthorized[\s\S]*\? Password/);
    await term.line(PASSWORD);
    await term.waitFor(new RegExp(`Logged in as ${username}\\.[\\s\\S]*\\? Menu`));
    const screen = await term.screen();
    expect(screen).not.toContain(PASSWORD);
    expect(screen).not.toContain('not-the-password-at-all');
    // --remember: the refresh token is kept for the owner only.
    expect((await stat(join(home, '.config', 'herald', 'session.json'))).mode & 0o777).toBe(0o600);
    await term.press('C-c');
    expect(await term.exitCode()).toBe(0);
  }, INTERACTIVE_TEST_MS);

  it('says when Herald cannot be reached, with its URL, and exits 3', async () => {
    const gone = `http://127.0.0.1:${await freePort()}`;
    const term = await startTerminal(['interactive'], { HOME: home, HERALD_URL: gone });
    terminals.push(term);
    expect(await term.exitCode(40000)).toBe(3);
    expect(await term.screen()).toContain(`cannot reach Herald at ${gone}`);
  }, INTERACTIVE_TEST_MS);
});

describe('script commands', () => {
  // Each run starts the program from source (about a second, far more on a loaded machine): a few runs per test.
  const SCRIPT_TEST_MS = 120_000;

  it(
    'login --password-stdin --remember keeps a 0600 session that whoami uses; logout revokes it and deletes the file',
    async () => {
      const { username, email } = await verifiedUser();
      const env = { HOME: home, HERALD_URL: url };
      const login = await runCli(['login', '--username', username, '--password-stdin', '--remember'], env, `${PASSWORD}\n`);
      expect(login).toMatchObject({ code: 0 });
      expect(login.stdout + login.stderr).not.toContain(PASSWORD);
      const file = join(home, '.config', 'herald', 'session.json');
      expect((await stat(file)).mode & 0o777).toBe(0o600);

      // Two commands at once: each refresh uses the remembered token up, one after the other under the
      // session's lock; presenting a used one would make Herald revoke the session.
      const both = await Promise.all([runCli(['whoami'], env), runCli(['whoami', '--json'], env)]);
      expect(both.map((run) => run.code)).toEqual([0, 0]);
      const whoami = await runCli(['whoami'], env);
      expect(whoami).toMatchObject({ code: 0 });
      expect(whoami.stdout).toContain(`${username} <${email}>  verified`);
      // whoami used the refresh token up and kept the new one.
      const remembered = JSON.parse(await readFile(file, 'utf8')) as { refresh_token: string };

      const logout = await runCli(['logout'], env);
      expect(logout).toMatchObject({ code: 0 });
      await expect(stat(file)).rejects.toThrow();
      await request(t.app).post('/api/auth/refresh').send({ refresh_token: remembered.refresh_token }).expect(401);
      const after = await runCli(['whoami'], env);
      expect(after.code).toBe(2);
      expect(after.stderr).toContain('not logged in');
    },
    SCRIPT_TEST_MS,
  );

  it(
    'send --wait exits 0 with the id; messages --json lists it; message shows its attempts; a refusal exits 1',
    async () => {
      const { username, email } = await verifiedUser();
      const session = await request(t.app).post('/api/auth/login').send({ login: username, password: PASSWORD }).expect(200);
      const env = { HOME: home, HERALD_URL: url, HERALD_TOKEN: session.body.access_token as string };

      const sent = await runCli(['send', '--to', 'carol@mx.example', '--subject', 'Nightly report', '--text', 'All green.', '--wait'], env);
      expect(sent.stderr).toContain('status: sent');
      expect(sent.code).toBe(0);
      const id = sent.stdout.trim();
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect((await mailTo('carol@mx.example', /Nightly report/)).parsed.from?.value[0]?.address).toBe(email);

      const [listed, one, refused] = await Promise.all([
        runCli(['messages', '--json'], env),
        runCli(['message', id], env),
        runCli(['send', '--to', 'dan@nowhere.example', '--subject', 's', '--text', 't'], env),
      ]);
      expect(listed.code).toBe(0);
      const page = JSON.parse(listed.stdout) as { results: { id: string; status: string }[] };
      expect(page.results).toContainEqual(expect.objectContaining({ id, status: 'sent' }));
      expect(one.code).toBe(0);
      expect(one.stdout).toMatch(/attempt 1 {2}smtp {2}sent/);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('Recipient Undeliverable');
      expect(refused.stderr).toContain('to.0: undeliverable: nxdomain');
    },
    SCRIPT_TEST_MS,
  );

  it(
    'exit codes: 2 for usage, 3 when Herald is down (with its URL); --help lists every command',
    async () => {
      const gone = `http://127.0.0.1:${await freePort()}`;
      const [usage, down, help, sendHelp] = await Promise.all([
        runCli(['send', '--subject', 'no recipient', '--text', 't'], { HOME: home }),
        runCli(['send', '--to', 'a@mx.example', '--subject', 's', '--text', 't'], { HOME: home, HERALD_URL: gone, HERALD_TOKEN: 'x'.repeat(20) }),
        runCli(['--help'], { HOME: home }),
        runCli(['send', '--help'], { HOME: home }),
      ]);
      expect(usage.code).toBe(2);
      expect(down.code).toBe(3);
      expect(down.stderr).toContain(`cannot reach Herald at ${gone}`);
      for (const command of ['interactive', 'login', 'logout', 'whoami', 'send', 'messages', 'message', 'serve', 'migrate', 'keys', 'tail']) {
        expect(help.stdout).toContain(`  ${command}`);
      }
      expect(sendHelp.stdout).toContain('--no-fallback');
    },
    SCRIPT_TEST_MS,
  );
});
