// The console (issue 18): its built JavaScript gzipped (target ≤ 150 KB) and the first render
// of /console/ in Debian's headless chromium on localhost, each round a fresh profile with an
// empty cache (target ≤ 1 s), against an api process of the current build.
//   npx ts-node --transpile-only bench/console-probe.ts [--rounds 5]
// Uses the existing build (npm run build). `npm run bench` runs it once after its runs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { HERALD_NODE_FLAGS } from '../services/platform/node-flags';
import { launchChromium } from '../test/support/console-browser';
import { createBenchDatabase, flushPrefix } from './bench-database';
import { freePort, startNodeProcess, waitForHttp } from './bench-process';
import { median } from './report';

const ROOT = join(__dirname, '..');
const ASSETS = join(ROOT, 'dist', 'console', 'assets');

export const CONSOLE_TARGETS = { jsGzipKb: 150, firstRenderMs: 1000 } as const;

export interface ConsoleResult {
  readonly jsGzipKb: number;
  readonly jsKb: number;
  readonly cssGzipKb: number;
  /** From navigation start to the app's first render (performance mark), each round. */
  readonly firstRenderMs: readonly number[];
  readonly firstRenderMedianMs: number;
}

const kb = (bytes: number) => Math.round((bytes / 1024) * 10) / 10;

/** The built assets' sizes, as sent (gzip level 9, as a compressing proxy would). */
export function consoleSizes(): { jsGzipKb: number; jsKb: number; cssGzipKb: number } {
  let js = 0;
  let jsGzip = 0;
  let cssGzip = 0;
  for (const file of readdirSync(ASSETS)) {
    const bytes = readFileSync(join(ASSETS, file));
    if (file.endsWith('.js')) {
      js += bytes.length;
      jsGzip += gzipSync(bytes, { level: 9 }).length;
    } else if (file.endsWith('.css')) {
      cssGzip += gzipSync(bytes, { level: 9 }).length;
    }
  }
  if (js === 0) throw new Error('no built console in dist/console: run npm run build');
  return { jsGzipKb: kb(jsGzip), jsKb: kb(js), cssGzipKb: kb(cssGzip) };
}

export async function measureConsole(options: { rounds: number; databaseServerUrl: string; redisUrl: string; log: (line: string) => void }): Promise<ConsoleResult> {
  const sizes = consoleSizes();
  const db = await createBenchDatabase(options.databaseServerUrl);
  const prefix = `{herald-console-${db.name.slice(-6)}}`;
  const port = await freePort();
  const api = startNodeProcess(
    'herald-console',
    [...HERALD_NODE_FLAGS, 'dist/services/main.js', 'serve', '--role', 'api'],
    { NODE_ENV: 'production', DATABASE_URL: db.url, REDIS_URL: options.redisUrl, QUEUE_PREFIX: prefix, PORT: String(port), LOG_LEVEL: 'warn' },
    ROOT,
  );
  const firstRenderMs: number[] = [];
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/livez`, api, 60_000);
    for (let round = 1; round <= options.rounds; round += 1) {
      const browser = await launchChromium();
      try {
        const page = await browser.context.newPage();
        // The browser's own start (a renderer process, its first blank page) is not the console's.
        await page.goto('about:blank');
        await page.goto(`${base}/console/`);
        await page.waitForFunction("performance.getEntriesByName('herald:first-render').length > 0", undefined, { timeout: 10_000 });
        const ms = Number(await page.evaluate("performance.getEntriesByName('herald:first-render')[0].startTime"));
        firstRenderMs.push(Math.round(ms));
        const timing = String(
          await page.evaluate(
            "(() => { const n = performance.getEntriesByType('navigation')[0]; return `response ${Math.round(n.responseEnd)} ms, dom interactive ${Math.round(n.domInteractive)} ms`; })()",
          ),
        );
        options.log(`console: round ${round}, first render after ${Math.round(ms)} ms (${timing})`);
      } finally {
        await browser.close();
      }
    }
  } finally {
    await api.stop();
    await flushPrefix(options.redisUrl, prefix);
    await db.drop();
  }
  return { ...sizes, firstRenderMs, firstRenderMedianMs: median(firstRenderMs) };
}

/** The console's rows for the bench table. */
export function consoleTable(result: ConsoleResult): string {
  const met = (ok: boolean) => (ok ? 'met' : '**not met**');
  return [
    '| console | value | target |',
    '| --- | ---: | --- |',
    `| built JavaScript, gzipped (raw ${result.jsKb} KB; CSS ${result.cssGzipKb} KB gzipped) | ${result.jsGzipKb} KB | ≤ ${CONSOLE_TARGETS.jsGzipKb} KB, ${met(result.jsGzipKb <= CONSOLE_TARGETS.jsGzipKb)} |`,
    `| first render of /console/, cold cache, median of ${result.firstRenderMs.length} (${result.firstRenderMs.join(', ')} ms) | ${result.firstRenderMedianMs} ms | ≤ ${CONSOLE_TARGETS.firstRenderMs} ms, ${met(result.firstRenderMedianMs <= CONSOLE_TARGETS.firstRenderMs)} |`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
  const result = await measureConsole({
    rounds: Math.max(1, Number(values.rounds)),
    databaseServerUrl: process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/herald',
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    log: (line) => console.error(line),
  });
  console.log(consoleTable(result));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  });
}
