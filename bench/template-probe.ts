// Templates and contacts (issue 14): accepts with a template (a 20 KB html with 10 variables)
// against plain notifies in the same run (target ≥ 0.8×), and the import of 100,000 contacts
// as CSV (target ≥ 20,000 rows/s), against one Herald api process.
//   npx ts-node --transpile-only bench/template-probe.ts [--seconds 8] [--rounds 2] [--rows 100000]
// Uses the existing build (npm run build).
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createBenchDatabase, flushPrefix } from './bench-database';
import { freePort, killAllBenchProcesses, startNodeProcess, waitForHttp } from './bench-process';
import { HERALD_NODE_FLAGS } from '../services/platform/node-flags';
import { perUnit, withCpu } from './harness';
import { acceptLoad, postJson } from './load';

const ROOT = join(__dirname, '..');
const ADMIN_KEY = 'bench_template_probe_admin_key_0123456789';
const VARIABLES = ['first_name', 'last_name', 'company', 'plan', 'price', 'renewal_date', 'account_url', 'support_email', 'coupon', 'manager'];

/** A realistic marketing email: a style block, a table layout, 10 variables used once or twice each, padded to about 20 KB. */
function realisticHtml(): string {
  const paragraph = (i: number) =>
    `<tr><td class="content"><h2>What is new, part ${i}</h2><p>Our team has been busy making your workspace faster, clearer and easier to share ` +
    'with the people you work with every day. Reports now load in a fraction of the time, comments follow you across devices, and the ' +
    'new sharing panel shows at a glance who can see what. We would love to hear what you think of it.</p></td></tr>';
  const rows = Array.from({ length: 52 }, (_, i) => paragraph(i + 1)).join('\n');
  return `<!doctype html><html><head><style>
    body { font-family: Helvetica, Arial, sans-serif; background: #f4f4f4; }
    .content { padding: 16px 24px; color: #333333; line-height: 1.5; }
    h2 { color: #0b5394; font-size: 18px; } .button { background: #0b5394; color: #ffffff; padding: 12px 20px; }
  </style></head><body><table width="600" align="center">
  <tr><td class="content"><h1>Welcome, {{first_name}} {{last_name}}!</h1><p>Your {{plan}} plan at {{company}} renews on {{renewal_date}} for {{price}}.</p>
  <a class="button" href="{{account_url}}">Open your account</a><p>Use code {{coupon}} for 20% off.</p></td></tr>
  ${rows}
  <tr><td class="content"><p>Questions, {{first_name}}? Write to {{support_email}} or ask {{manager}}.</p></td></tr>
  </table></body></html>`;
}

function contactsCsv(rows: number): string {
  const lines = ['email,first_name,last_name,company,industry,role'];
  for (let i = 0; i < rows; i += 1) lines.push(`person${i}@example.com,First${i},Last${i},Company ${i % 997},industry-${i % 13},role-${i % 7}`);
  return `${lines.join('\n')}\n`;
}

async function postCsv(url: string, csv: string): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${ADMIN_KEY}` }, body: csv });
  return { status: res.status, body: await res.text(), ms: performance.now() - started };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      rows: { type: 'string', default: '100000' },
    },
  });
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const db = await createBenchDatabase(process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/herald');
  const prefix = `{herald-tprobe-${db.name.slice(-6)}}`;
  try {
    const [port, workerPort] = [await freePort(), await freePort()];
    const herald = startNodeProcess('herald api', [...HERALD_NODE_FLAGS, 'dist/services/main.js', 'serve', '--role', 'api'], {
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      PORT: String(port),
      WORKER_HTTP_PORT: String(workerPort),
      NOTIFY_RATE_LIMIT: '1000000000',
      HERALD_ADMIN_KEY: ADMIN_KEY,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    }, ROOT);
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${baseUrl}/livez`, herald, 60_000);
    const html = realisticHtml();
    const created = await postJson(`${baseUrl}/api/templates`, { name: 'bench-welcome', shared: true, subject: 'Welcome, {{first_name}} from {{company}}', html }, { authorization: `Bearer ${ADMIN_KEY}` });
    if (created.status !== 201) throw new Error(`template not created: ${created.status} ${JSON.stringify(created.body)}`);
    console.log(`template: ${Buffer.byteLength(html)} bytes of html, ${VARIABLES.length} variables`);
    const variables = Object.fromEntries(VARIABLES.map((name) => [name, `${name} <value> & more`]));
    const templated = { to: 'bench@example.com', template: 'bench-welcome', variables };

    const rates: Record<string, number[]> = { plain: [], template: [] };
    for (let round = 1; round <= Number(values.rounds); round += 1) {
      for (const [name, body] of [['plain', undefined], ['template', templated]] as const) {
        const { result, cpu } = await withCpu([herald.pid], () =>
          acceptLoad({ baseUrl, token: db.apiKey, connections: Number(values.connections), size: { seconds: Number(values.seconds) }, keyPrefix: `${name}-${round}`, body }),
        );
        rates[name]?.push(result.requestsPerSec);
        const per = perUnit(cpu, result.ok);
        console.log(
          `${name.padEnd(8)} ${result.requestsPerSec.toFixed(0).padStart(6)} req/s  p50 ${result.latencyP50Ms} ms  p99 ${result.latencyP99Ms} ms  non2xx ${result.non2xx}  cpu ms/req: app ${per.app} pg ${per.postgres}`,
        );
        await db.truncate();
        await flushPrefix(redisUrl, prefix);
      }
    }
    const best = (list: number[] = []) => Math.max(...list);
    console.log(`template / plain: ${(best(rates.template) / best(rates.plain)).toFixed(2)}× (target ≥ 0.8×)`);

    const rows = Number(values.rows);
    const csv = contactsCsv(rows);
    for (const pass of ['first import (creates)', 'second import (updates)']) {
      const res = await postCsv(`${baseUrl}/api/contacts/import`, csv);
      if (res.status !== 200) throw new Error(`import failed: ${res.status} ${res.body.slice(0, 500)}`);
      const counts = JSON.parse(res.body) as { created: number; updated: number; rejected: number };
      console.log(
        `${pass}: ${rows} rows (${(Buffer.byteLength(csv) / 1e6).toFixed(1)} MB) in ${res.ms.toFixed(0)} ms = ${((rows / res.ms) * 1000).toFixed(0)} rows/s ` +
          `(created ${counts.created}, updated ${counts.updated}, rejected ${counts.rejected}; target ≥ 20000 rows/s)`,
      );
    }
  } finally {
    await killAllBenchProcesses();
    await flushPrefix(redisUrl, prefix);
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
