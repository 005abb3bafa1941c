import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express, { type RequestHandler, Router } from 'express';
import { escapeHtml } from '../platform/escape-html';

/**
 * The console's policy: its own scripts only (no inline script, nothing from elsewhere),
 * inline styles for the e-mail html it shows in a sandboxed srcdoc frame, and calls to
 * its own API only.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** The package root: the nearest folder above this file with a package.json (source or dist). */
function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return __dirname;
    dir = parent;
  }
  return dir;
}

/** Where `npm run build` writes the console (vite, console/vite.config.ts). */
export function defaultConsoleDir(): string {
  return join(packageRoot(), 'dist', 'console');
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Herald console</title></head>
<body style="font-family:system-ui,sans-serif;max-width:32em;margin:3em auto"><h1>The console is not built</h1>
<p>Run <code>npm run build</code> and restart Herald: it writes the console to ${escapeHtml('dist/console')}.</p></body></html>`;

/**
 * GET /console: the single-page console (console.md). Hashed assets under /console/assets are
 * cached for a year; the page itself is revalidated so a new build shows at once.
 */
export function consoleRoutes(consoleDir: string = defaultConsoleDir()): Router {
  const router = Router();
  const indexPath = join(consoleDir, 'index.html');
  const index = existsSync(indexPath) ? readFileSync(indexPath, 'utf8') : undefined;
  const page: RequestHandler = (req, res) => {
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    res.setHeader('Cache-Control', 'no-cache');
    if (index === undefined) {
      res.status(503).type('html').send(NOT_BUILT);
      return;
    }
    if (req.method === 'HEAD') {
      res.type('html').end();
      return;
    }
    res.type('html').send(index);
  };
  router.get('/console', (req, res, next) => {
    // The page's relative asset links need the trailing slash.
    if (req.path === '/console' && !req.originalUrl.startsWith('/console/')) {
      res.redirect(301, '/console/');
      return;
    }
    next();
  });
  router.use(
    '/console/assets',
    express.static(join(consoleDir, 'assets'), {
      immutable: true,
      maxAge: '365d',
      index: false,
      fallthrough: false,
      setHeaders: (res) => res.setHeader('Content-Security-Policy', CONSOLE_CSP),
    }),
  );
  router.get(['/console/', '/console/index.html'], page);
  router.get('/console/favicon.svg', (_req, res, next) => {
    const path = join(consoleDir, 'favicon.svg');
    if (!existsSync(path)) {
      next();
      return;
    }
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.sendFile(path);
  });
  return router;
}
