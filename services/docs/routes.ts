import { Router } from 'express';
import { escapeHtml } from '../platform/escape-html';
import { route } from '../platform/http';
import { buildOpenApiDocument, renderOpenApiYaml } from './openapi';

/** A self-contained reference page: no scripts or assets from elsewhere, so it works offline. */
function renderDocsPage(): string {
  const document = buildOpenApiDocument();
  const rows: string[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item as Record<string, { summary?: string; security?: unknown[] }>)) {
      const auth = operation.security !== undefined && operation.security.length > 0 ? 'bearer' : 'public';
      rows.push(
        `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(operation.summary ?? '')}</td><td>${auth}</td></tr>`,
      );
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Herald API</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}</style>
</head><body><h1>Herald API</h1>
<p>${escapeHtml(document.info.description ?? '')} The full contract is at <a href="/openapi.yaml">/openapi.yaml</a>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>What it does</th><th>Auth</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></body></html>`;
}

/** GET /openapi.yaml and /docs, rendered once at startup. */
export function docsRoutes(): Router {
  const router = Router();
  const yaml = renderOpenApiYaml();
  const page = renderDocsPage();
  route(router, '/openapi.yaml', { get: [(_req, res) => void res.type('application/yaml').send(yaml)] });
  route(router, '/docs', { get: [(_req, res) => void res.type('html').send(page)] });
  return router;
}
