import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSendgridRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body (SendGrid's snake_case v3 shape). */
  readonly body: Record<string, unknown>;
}

export interface FakeSendgrid {
  /** Base URL to put in SENDGRID_BASE_URL. */
  readonly url: string;
  readonly requests: readonly FakeSendgridRequest[];
  /** The next `count` sends are answered with `status` instead of 202. */
  failNext(status: number, count?: number): void;
  close(): Promise<void>;
}

export interface FakeSendgridOptions {
  /** When set, any other bearer token gets 401, like the real API. */
  readonly apiKey?: string;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function answer(response: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) });
  response.end(text);
}

/** Just enough of SendGrid's POST /v3/mail/send to be reached through @sendgrid/mail. */
export async function startFakeSendgrid(options: FakeSendgridOptions = {}): Promise<FakeSendgrid> {
  const requests: FakeSendgridRequest[] = [];
  const failures: number[] = [];

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = request.url ?? '/';
    if (request.method !== 'POST' || path !== '/v3/mail/send') {
      return answer(response, 404, { errors: [{ message: `no route for ${request.method} ${path}` }] });
    }
    const text = await readBody(request);
    requests.push({ method: request.method, path, headers: request.headers, body: JSON.parse(text) as Record<string, unknown> });
    const status = failures.shift();
    if (status !== undefined) {
      return answer(response, status, { errors: [{ message: `fake failure ${status}`, field: null, help: null }] });
    }
    if (options.apiKey !== undefined && request.headers.authorization !== `Bearer ${options.apiKey}`) {
      return answer(response, 401, { errors: [{ message: 'The provided authorization grant is invalid, expired, or revoked', field: null, help: null }] });
    }
    answer(response, 202, undefined, { 'x-message-id': `sg-${randomUUID()}` });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((err: unknown) => answer(response, 500, { errors: [{ message: String(err) }] }));
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
