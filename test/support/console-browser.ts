import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

const ROOT = join(__dirname, '..', '..');
export const CONSOLE_DIST = join(ROOT, 'dist', 'console');

/** Builds the console once when `npm test` has not (a single test file run by hand). */
export function ensureConsoleBuilt(): void {
  if (existsSync(join(CONSOLE_DIST, 'index.html'))) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(ROOT, 'console', 'vite.config.mts'), '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

export interface ConsoleBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Debian's chromium, headless, in a fresh profile (never a downloaded browser). */
export async function launchChromium(options: { width?: number; height?: number } = {}): Promise<ConsoleBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'herald-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'],
    viewport: { width: options.width ?? 1280, height: options.height ?? 860 },
    colorScheme: 'light',
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
