import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeMailgunRequest {
  readonly method: string;
  readonly path: string;
  readonly domain: string;
  readonly headers: IncomingHttpHeaders;
  /** Form fields; repeated fields (to, o:tag) keep every value in order. */
  readonly fields: Readonly<Record<string, readonly string[]>>;
  /** File parts (attachment, inline) by field name, with their bytes. */
  readonly files: Readonly<Record<string, readonly FakeMailgunFile[]>>;
}

export interface FakeMailgunFile {
  readonly name: string;
  readonly type: string;
  readonly bytes: Buffer;
}

export interface FakeMailgun {
  /** Base URL to put in MAILGUN_BASE_URL. */
  readonly url: string;
  readonly requests: readonly FakeMailgunRequest[];
  /** The next `count` sends are answered with `status` instead of 200. */
  failNext(status: number, count?: number): void;
  close(): Promise<void>;
}

export interface FakeMailgunOptions {
  /** When set, any other Basic api:<key> gets 401, like the real API. */
  readonly apiKey?: string;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Parses a multipart/form-data body with the platform's own parser (undici's Request). */
async function formFields(body: Buffer, contentType: string): Promise<{ fields: Record<string, string[]>; files: Record<string, FakeMailgunFile[]> }> {
  const form = await new Request('http://fake.invalid/', { method: 'POST', headers: { 'content-type': contentType }, body }).formData();
  const fields: Record<string, string[]> = {};
  const files: Record<string, FakeMailgunFile[]> = {};
  for (const [key, value] of form.entries()) {
    (fields[key] ??= []).push(typeof value === 'string' ? value : `[file ${value.name}]`);
    if (typeof value !== 'string') (files[key] ??= []).push({ name: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) });
  }
  return { fields, files };
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  const isText = typeof body === 'string';
  response.writeHead(status, { 'content-type': isText ? 'text/plain' : 'application/json' });
  response.end(isText ? body : JSON.stringify(body));
}

/** Just enough of Mailgun's POST /v3/<domain>/messages to be reached through mailgun.js. */
export async function startFakeMailgun(options: FakeMailgunOptions = {}): Promise<FakeMailgun> {
  const requests: FakeMailgunRequest[] = [];
  const failures: number[] = [];

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = request.url ?? '/';
    const route = /^\/v3\/([^/]+)\/messages$/.exec(path);
    const domain = route?.[1];
    if (request.method !== 'POST' || domain === undefined) return answer(response, 404, { message: 'Not Found' });
    const body = await readBody(request);
    const { fields, files } = await formFields(body, request.headers['content-type'] ?? '');
    requests.push({ method: request.method, path, domain: decodeURIComponent(domain), headers: request.headers, fields, files });
    const status = failures.shift();
    if (status !== undefined) return answer(response, status, { message: `fake failure ${status}` });
    const expected = options.apiKey === undefined ? undefined : `Basic ${Buffer.from(`api:${options.apiKey}`).toString('base64')}`;
    if (expected !== undefined && request.headers.authorization !== expected) return answer(response, 401, 'Forbidden');
    answer(response, 200, { id: `<${randomUUID()}@${decodeURIComponent(domain)}>`, message: 'Queued. Thank you.' });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((err: unknown) => answer(response, 500, { message: String(err) }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(status, count = 1) {
      for (let i = 0; i < count; i += 1) failures.push(status);
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
