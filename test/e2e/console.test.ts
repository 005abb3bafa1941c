import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { type ConsoleBrowser, ensureConsoleBuilt, launchChromium } from '../support/console-browser';
import { startDnsServer, type TestDnsServer, validationZone } from '../support/dns-server';
import { adminBearer } from '../support/fixtures';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { consoleSizes } from '../../bench/console-probe';
import { startTestApp, type TestApp } from '../support/test-app';

// The console (console.md) in Debian's chromium against a real Herald: api and workers in this
// process, an SMTP sink, a DNS server of the test's own. Screenshots go to docs/console/ (README).

jest.setTimeout(240_000);

const SHOTS = join(__dirname, '..', '..', 'docs', 'console');
const ADMIN = { username: 'ada', email: 'ada@herald.test', password: 'analytical engine 1843' };
const USER = { username: 'bob', email: 'bob@herald.test', password: 'difference engine 1822' };
// The SMTP server of bob's own sender identity: it wants a login.
const OWN_SMTP = { user: 'bob@own-mail.example', pass: 'own smtp password 7f3e' };

let sink: SmtpSink;
let ownSmtp: SmtpSink;
let receiver: WebhookReceiver;
let dns: TestDnsServer;
let t: TestApp;
let worker: WorkerRuntime;
let server: Server;
let base: string;
let browser: ConsoleBrowser;
let page: Page;
const consoleErrors: string[] = [];
// A step that makes the API refuse on purpose (a wrong password) names the refusal it expects.
let expectedRefusal: RegExp | undefined;
const foreignRequests: string[] = [];

beforeAll(async () => {
  ensureConsoleBuilt();
  sink = await startSmtpSink();
  ownSmtp = await startSmtpSink({ credentials: OWN_SMTP });
  dns = await startDnsServer(validationZone);
  receiver = await startWebhookReceiver();
  t = await startTestApp({
    CREDENTIALS_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    SMTP_ALLOW_PRIVATE_HOSTS: 'true',
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    MAIL_PROVIDERS: 'smtp',
    SMTP_URL: sink.url,
    MAIL_DOMAIN: 'mail.herald.test',
    DNS_SERVERS: dns.address,
    RETRY_BASE_DELAY_MS: '40',
    RETRY_FACTOR: '2',
    SWEEPER_INTERVAL_MS: '200',
  });
  worker = await startWorkerRuntime(t.infra);
  server = createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await request(t.app).post('/api/admin/users').set('Authorization', adminBearer).send({ ...ADMIN, role: 'admin', verified: true }).expect(201);
  browser = await launchChromium();
  browser.context.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(`${base}/`) && !url.startsWith('data:') && !url.startsWith('blob:') && url !== 'about:srcdoc') foreignRequests.push(url);
  });
  page = await browser.context.newPage();
  page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (expectedRefusal?.test(`${message.text()} ${message.location().url}`) === true) return;
    consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await worker?.stop();
  await t?.close();
  await dns?.close();
  await receiver?.close();
  await sink?.close();
  await ownSmtp?.close();
});

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const nav = (name: string) => page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name, exact: true }).click();
const heading = (text: string) => page.getByRole('heading', { level: 1, name: text }).waitFor();

async function signIn(who: { username: string; password: string }): Promise<void> {
  await page.getByLabel('Username or email').fill(who.username);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await heading('Overview').catch(async (error: unknown) => {
    throw new Error(`not signed in as ${who.username}: ${(await page.locator('main').textContent()) ?? ''}`, { cause: error });
  });
}

/** Sends from the Send page and opens the message; returns its id. */
async function sendFromPage(to: string, subject: string, html: string): Promise<string> {
  await nav('Send');
  await heading('Send');
  await page.getByLabel('To', { exact: true }).fill(to);
  await page.getByLabel('Subject').fill(subject);
  await page.getByLabel('Html').fill(html);
  await page.locator('.preview .preview-subject', { hasText: subject }).waitFor();
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await page.getByRole('link', { name: 'Follow the message' }).click();
  await heading(subject);
  return (await page.locator('.facts code').first().textContent()) ?? '';
}

const statusBadge = (status: string) => page.locator(`.facts [data-status="${status}"]`);

describe('the console', () => {
  it('serves its page with a policy allowing only its own scripts, and hashed assets cached for a year', async () => {
    const res = await request(t.app).get('/console/').expect(200);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|https?:/);
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(res.text)?.[1];
    expect(asset).toBeDefined();
    const js = await request(t.app).get(asset ?? '').expect(200);
    expect(js.headers['cache-control']).toMatch(/max-age=31536000.*immutable/);
    await request(t.app).get('/console').expect(301).expect('location', '/console/');
    await request(t.app).get('/console/assets/nothing.js').expect(404);
    // Issue 18's size target, checked on every build the tests use.
    expect(consoleSizes().jsGzipKb).toBeLessThanOrEqual(150);
  });

  it('signs in, sends a message and watches it reach sent', async () => {
    await page.goto(`${base}/console/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot('sign-in');
    await page.getByLabel('Username or email').fill(ADMIN.username);
    await page.getByLabel('Password').fill('not the password');
    expectedRefusal = /status of 401 .*\/api\/auth\/login$/;
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expectedRefusal = undefined;
    expect(await page.getByRole('alert').textContent()).toMatch(/\.$/);
    await signIn(ADMIN);

    await nav('Send');
    await heading('Send');
    await page.getByLabel('To', { exact: true }).fill('grace@example.com');
    await page.getByLabel('Subject').fill('Deploy finished');
    await page.getByLabel('Html').fill('<h1>All green</h1><p>Version 42 is live.</p>');
    await page.frameLocator('iframe[title="Preview"]').locator('h1', { hasText: 'All green' }).waitFor();
    await shot('send');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByRole('link', { name: 'Follow the message' }).click();
    await heading('Deploy finished');
    await statusBadge('sent').waitFor({ timeout: 30_000 });
    await page.frameLocator('iframe[title="The message\'s html"]').locator('p', { hasText: 'Version 42 is live.' }).waitFor();
    await page.locator('.timeline li', { hasText: 'Attempt 1, smtp' }).waitFor();
    await shot('message');
    expect(sink.messages.some((m) => m.parsed.subject === 'Deploy finished')).toBe(true);
  });

  it('a message that fails can be retried until it is sent', async () => {
    sink.rejectNextRecipients(1, 550);
    await sendFromPage('nobody@example.com', 'Will bounce once', '<p>Try me again.</p>');
    await statusBadge('failed').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Retry' }).click();
    await statusBadge('sent').waitFor({ timeout: 30_000 });

    await nav('Messages');
    await heading('Messages');
    await page.locator('table.messages [data-status="sent"]').nth(1).waitFor();
    await shot('messages');
    await page.getByLabel('Id or recipient').fill('nobody@example.com');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('1 in all.').waitFor();
    await page.locator('table.messages td', { hasText: 'Will bounce once' }).waitFor();
    await page.getByLabel('Status').selectOption('failed');
    await page.getByText('No message matches these filters.').waitFor();
    await page.getByRole('link', { name: 'Clear the filters' }).click();
    await page.getByText('2 in all.').waitFor();
    await nav('Overview');
    await page.locator('.chart figcaption', { hasText: /[1-9]\d* sent/ }).waitFor({ timeout: 15_000 });
    await page.locator('.card', { hasText: 'Providers' }).getByText('smtp: circuit').waitFor();
    await shot('overview');
  });

  it('edits a template and the preview follows', async () => {
    await nav('Templates');
    await heading('Templates');
    await page.getByText('No templates yet').waitFor();
    await page.getByLabel('New template name').fill('welcome');
    await page.getByRole('button', { name: 'Create' }).click();
    await heading('Template welcome');
    const preview = page.frameLocator('iframe[title="Template preview"]');
    await preview.locator('p', { hasText: 'Hello Ada!' }).waitFor();
    await page.getByLabel('Html').fill('<p>Welcome aboard, {{name}}.</p>');
    await preview.locator('p', { hasText: 'Welcome aboard, Ada.' }).waitFor();
    await page.getByLabel('Sample variables (JSON)').fill('{"name": "Grace"}');
    await preview.locator('p', { hasText: 'Welcome aboard, Grace.' }).waitFor();
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await page.getByText('Saved as version 2.').waitFor();
    await page.locator('.timeline li', { hasText: 'Version 2' }).waitFor();
    await page.locator('.stats [data-stat="sent"]').waitFor();
    expect(await page.locator('.stats dd').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/^\d+/)]));
    expect(await page.locator('.stats dd').count()).toBe(9);
    for (const text of await page.locator('.stats dd').allTextContents()) expect(text).toMatch(/^\d+( \(\d+\.\d% of delivered\))?$/);
    expect(await page.getByText(/Statistics are not available/).count()).toBe(0);
    await shot('template');
  });

  it('validates an uploaded list and the progress bar reaches 100%', async () => {
    await nav('Validation');
    await heading('Validation');
    const lines = Array.from({ length: 300 }, (_, i) => (i % 10 === 0 ? `broken-${i}` : `user${i}@d${i % 20}.jobs.bulk.example`));
    await page.getByLabel('Or paste them').fill(lines.join('\n'));
    await page.getByRole('button', { name: 'Validate the list' }).click();
    await page.locator('[role="progressbar"][aria-valuenow="100"]').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Download the results (CSV)' }).waitFor();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download the results (CSV)' }).click();
    expect((await download).suggestedFilename()).toMatch(/^validation-.*\.csv$/);
    await shot('validation');
  });

  it('imports contacts from a CSV with a progress bar', async () => {
    await nav('Contacts');
    await heading('Contacts');
    await page.getByText('No contacts yet').waitFor();
    const csv = ['email,first_name,last_name', ...Array.from({ length: 200 }, (_, i) => `person${i}@example.com,Person,${i}`), 'not-an-address,Bad,Row'].join('\n');
    await page.getByLabel(/A CSV file with an email column/).setInputFiles({ name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByText('201 rows: 200 added, 0 updated, 1 rejected.').waitFor();
    await page.locator('[role="progressbar"][aria-valuenow="100"]').waitFor();
    await page.getByText('200 contacts.').waitFor();
    await page.getByLabel('Email', { exact: true }).fill('person7@example.com');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('td', { hasText: 'person7@example.com' }).waitFor();
    await page.getByText('1 contact.').waitFor();
  });

  it('suppresses an address, lists it and removes it', async () => {
    await nav('Suppressions');
    await heading('Suppressions');
    await page.getByText('No suppressed addresses').waitFor();
    await page.getByRole('textbox', { name: 'Suppress an address' }).fill('Gone.Away@Example.com');
    await page.getByRole('button', { name: 'Suppress', exact: true }).click();
    await page.getByText('gone.away@example.com is suppressed.').waitFor();
    const row = page.locator('tr', { hasText: 'gone.away@example.com' });
    await row.locator('td', { hasText: 'manual' }).waitFor();
    await row.getByText('never ends').waitFor();
    await shot('suppressions');
    await row.getByRole('button', { name: 'Remove' }).click();
    await page.getByText('gone.away@example.com may be sent to again.').waitFor();
    await page.getByText('No suppressed addresses').waitFor();
  });

  it('adds a webhook endpoint, sends it a test event and replays it from the delivery log', async () => {
    await nav('Webhooks');
    await heading('Webhooks');
    await page.getByLabel('New endpoint URL').fill(`${receiver.url}/hooks`);
    await page.getByRole('button', { name: 'Add' }).click();
    await page.getByText('Its signing secret, shown once').waitFor();
    await page.getByRole('button', { name: 'Deliveries, test and replay' }).click();
    await page.getByRole('button', { name: 'Send a test event' }).click();
    await page.getByText('The test was answered 200.').waitFor();
    await page.locator('td', { hasText: 'webhook.test' }).first().waitFor();
    await page.getByRole('button', { name: 'Replay' }).first().click();
    await page.getByText('Replayed.').waitFor();
    await shot('webhooks');
    expect(receiver.at('/hooks').length).toBeGreaterThanOrEqual(1);
  });

  it('creates a user with a sender identity of their own SMTP server, checks its connection, and an API key', async () => {
    await nav('Users');
    await heading('Users');
    await page.getByLabel('Username').fill(USER.username);
    await page.getByLabel('Email').fill(USER.email);
    await page.getByLabel('Password').fill(USER.password);
    await page.getByRole('button', { name: 'Create the user' }).click();
    await page.getByText(`${USER.username} can sign in now.`).waitFor();
    const card = page.locator(`[data-user="${USER.username}"]`);
    await card.getByRole('button', { name: 'Sender identities' }).click();
    const identities = card.locator('.identities');
    // The account email is an identity from the start.
    await identities.locator(`[data-identity="${USER.email}"]`).waitFor();
    await identities.getByLabel('Address').fill(OWN_SMTP.user);
    await identities.getByLabel('SMTP host').fill('127.0.0.1');
    await identities.getByLabel('SMTP port').fill(new URL(ownSmtp.url).port);
    await identities.getByLabel('Security').selectOption('none');
    await identities.getByLabel('SMTP username').fill(OWN_SMTP.user);
    await identities.getByLabel('SMTP password').fill(OWN_SMTP.pass);
    await identities.getByRole('button', { name: 'Add the identity' }).click();
    await identities.getByText(`${OWN_SMTP.user} is added.`).waitFor();
    const own = identities.locator(`[data-identity="${OWN_SMTP.user}"]`);
    await own.getByText(/via 127\.0\.0\.1:\d+ \(none\)/).waitFor();
    await own.getByRole('button', { name: 'Check connection' }).click();
    await identities.getByText('The connection to 127.0.0.1 works: Herald signed in.').first().waitFor();
    await own.locator('[data-last-check="ok"]').waitFor();
    // The password is write-only: no answer and no page shows it.
    expect(await page.locator('main').textContent()).not.toContain(OWN_SMTP.pass);
    await shot('users');

    await nav('API keys');
    await heading('API keys');
    await page.getByLabel('Name').fill('deploy bot');
    await page.getByRole('button', { name: 'Create the key' }).click();
    const key = (await page.locator('code.secret').textContent()) ?? '';
    expect(key).toMatch(/^hrld_/);
    await request(t.app).get('/api/notify').set('Authorization', `Bearer ${key}`).expect(200);
    await page.locator('td', { hasText: 'deploy bot' }).waitFor();
  });

  it('a user sees only their own messages', async () => {
    const adminMessage = (await t.database.db.selectFrom('messages').select('id').where('subject', '=', 'Deploy finished').executeTakeFirstOrThrow()).id;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signIn(USER);
    expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(0);
    await nav('Messages');
    await page.getByText('No messages yet').waitFor();
    expectedRefusal = new RegExp(`status of 404 .*/api/notify/${adminMessage}$`);
    await page.goto(`${base}/console/#/messages/${adminMessage}`);
    await page.getByText('There is no message with this id that you may see.').waitFor();
    expectedRefusal = undefined;
    const own = await sendFromPage('bob.friend@example.com', 'From Bob', '<p>Hi.</p>');
    await statusBadge('sent').waitFor({ timeout: 30_000 });
    await nav('Messages');
    await page.locator(`tr[data-id="${own}"]`).waitFor();
    expect(await page.locator('table.messages tbody tr').count()).toBe(1);
  });

  it('is readable at 360 px and follows a dark system theme', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await nav('Messages');
    await page.locator('table.messages').waitFor();
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    const background = await page.evaluate('getComputedStyle(document.documentElement).backgroundColor');
    expect(background).toBe('rgb(21, 22, 27)');
    await shot('messages-360-dark');
  });

  it('logged no console error and asked no other origin', () => {
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });
});
