import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';
import { buildOpenApiDocument, renderOpenApiYaml } from '../../services/docs/openapi';
import { startTestApp, type TestApp } from '../support/test-app';

const COMMITTED = join(__dirname, '..', '..', 'openapi.yaml');

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

const expectedPaths: [string, string][] = [
  ['post', '/api/contact'],
  ['get', '/api/contact'],
  ['get', '/api/contact/{id}'],
  ['post', '/api/notify'],
  ['get', '/api/notify'],
  ['get', '/api/notify/{id}'],
  ['post', '/api/notify/batch'],
  ['post', '/api/notify/{id}/cancel'],
  ['post', '/api/messages/{id}/retry'],
  ['post', '/api/templates'],
  ['get', '/api/templates'],
  ['get', '/api/templates/{name}'],
  ['put', '/api/templates/{name}'],
  ['delete', '/api/templates/{name}'],
  ['get', '/api/templates/{name}/versions'],
  ['get', '/api/templates/{name}/versions/{version}'],
  ['post', '/api/templates/{name}/preview'],
  ['post', '/api/v1/emails/send'],
  ['post', '/api/contacts'],
  ['get', '/api/contacts'],
  ['get', '/api/contacts/{id}'],
  ['patch', '/api/contacts/{id}'],
  ['delete', '/api/contacts/{id}'],
  ['get', '/api/contacts/{id}/messages'],
  ['post', '/api/contacts/import'],
  ['post', '/api/events/track'],
  ['post', '/api/v1/events/track'],
  ['post', '/webhooks/sendgrid'],
  ['post', '/webhooks/mailgun'],
  ['get', '/api/auth/options'],
  ['get', '/api/admin/overview'],
  ['get', '/api/admin/keys'],
  ['post', '/api/admin/keys'],
  ['delete', '/api/admin/keys/{id}'],
  ['get', '/console/'],
  ['get', '/livez'],
  ['get', '/readyz'],
  ['get', '/healthz'],
];

describe('openapi.yaml', () => {
  it('is up to date with the zod schemas', () => {
    const committed = readFileSync(COMMITTED, 'utf8');
    const fresh = renderOpenApiYaml();
    if (committed !== fresh) {
      throw new Error('openapi.yaml is stale: run `npm run openapi` and commit the result.');
    }
  });

  it('documents every route of the API', () => {
    const document = buildOpenApiDocument();
    const documented = Object.entries(document.paths ?? {}).flatMap(([path, item]) => Object.keys(item as object).map((method) => `${method} ${path}`));
    expect(documented).toEqual(expect.arrayContaining(expectedPaths.map(([method, path]) => `${method} ${path}`)));
  });

  it('documents the cancel and retry answers', () => {
    const paths = buildOpenApiDocument().paths as Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
    expect(Object.keys(paths['/api/notify/{id}/cancel']?.post?.responses ?? {})).toEqual(expect.arrayContaining(['200', '401', '403', '404', '409']));
    expect(Object.keys(paths['/api/messages/{id}/retry']?.post?.responses ?? {})).toEqual(expect.arrayContaining(['202', '401', '403', '404', '409']));
    expect(paths['/api/messages/{id}/retry']?.post?.security).toEqual([{ bearer: [] }]);
  });

  it('is served at GET /openapi.yaml', async () => {
    const res = await request(t.app).get('/openapi.yaml').expect(200);
    expect(res.headers['content-type']).toMatch(/yaml/);
    expect(res.text).toBe(readFileSync(COMMITTED, 'utf8'));
    const parsed = parse(res.text) as { openapi: string; info: { title: string } };
    expect(parsed.openapi).toBe('3.1.0');
    expect(parsed.info.title).toBe('Herald');
  });

  it('is rendered as HTML at GET /docs, listing every path', async () => {
    for (const path of ['/docs', '/docs/']) {
      const res = await request(t.app).get(path).expect(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.text).toMatch(/^<!doctype html>/i);
      expect(res.text).toContain('href="/openapi.yaml"');
      for (const [method, route] of expectedPaths) {
        expect(res.text).toContain(`<code>${method.toUpperCase()}</code></td><td><code>${route}</code>`);
      }
    }
  });
});
