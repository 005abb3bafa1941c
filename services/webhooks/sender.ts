import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Config } from '../platform/config';
import { resolvePublicAddress, UnsafeAddressError } from '../platform/net-guard';

/** What one POST to a receiver came to. */
export interface SendResult {
  /** The receiver's status code; undefined when no answer came (refused, timed out, unsafe). */
  readonly statusCode?: number;
  /** Retry-After in milliseconds, when the receiver sent one we can read. */
  readonly retryAfterMs?: number;
  readonly durationMs: number;
  /** Why there was no answer: `timeout`, `connection`, `unsafe-address` or `invalid-url`. */
  readonly error?: string;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/** Reads Retry-After as seconds or as an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export class UrlRefusedError extends Error {
  override readonly name = 'UrlRefusedError';
}

type GuardConfig = Pick<Config['webhooks'], 'allowHttp' | 'allowPrivate'>;

/** Checks an endpoint URL as saved: https (http when allowed), no credentials, a public host. */
export async function checkEndpointUrl(raw: string, config: GuardConfig): Promise<URL> {
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (url === undefined || !['http:', 'https:'].includes(url.protocol)) throw new UrlRefusedError('The url must be an absolute https URL.');
  if (url.protocol === 'http:' && !config.allowHttp) throw new UrlRefusedError('The url must use https (plain http is off unless WEBHOOK_ALLOW_HTTP is set).');
  if (url.username !== '' || url.password !== '') throw new UrlRefusedError('The url must not carry credentials.');
  try {
    await resolvePublicAddress(url.hostname, { allowPrivate: config.allowPrivate });
  } catch (error) {
    if (error instanceof UnsafeAddressError) throw new UrlRefusedError(`The url is refused: ${error.message}; webhooks go to public addresses only.`);
    throw error;
  }
  return url;
}

/**
 * Keep-alive agents, one per checked address and origin: a connection in the pool always goes
 * to an address that passed the guard, and a receiver's next request skips the handshake.
 * Capped in number; the oldest is closed when a new one is needed.
 */
const MAX_AGENTS = 256;
const agents = new Map<string, http.Agent>();

function agentFor(url: URL, address: { address: string; family: 4 | 6 }, lookup: LookupFunction): http.Agent {
  const key = `${url.protocol}//${url.host}@${address.address}`;
  let agent = agents.get(key);
  if (agent === undefined) {
    const options = { keepAlive: true, maxSockets: 64, timeout: 30_000, lookup };
    agent = url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
    if (agents.size >= MAX_AGENTS) {
      const [oldestKey, oldest] = agents.entries().next().value as [string, http.Agent];
      oldest.destroy();
      agents.delete(oldestKey);
    }
    agents.set(key, agent);
  }
  return agent;
}

/**
 * POSTs a signed body to a receiver: the host is checked again at every delivery and the
 * connection goes to the checked address (the name is kept for TLS and Host); redirects are
 * not followed (a 3xx is an answer like any other non-2xx); the whole exchange has `timeoutMs`.
 */
export async function postWebhook(
  rawUrl: string,
  headers: Record<string, string>,
  body: string,
  config: Pick<Config['webhooks'], 'allowHttp' | 'allowPrivate' | 'timeoutMs'>,
): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let url: URL;
  let address: { address: string; family: 4 | 6 };
  try {
    url = await checkEndpointUrl(rawUrl, config);
    address = await resolvePublicAddress(url.hostname, { allowPrivate: config.allowPrivate });
  } catch (error) {
    return { durationMs: elapsed(), error: error instanceof UrlRefusedError ? 'unsafe-address' : 'connection' };
  }
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all === true) {
      (callback as unknown as (err: null, addresses: { address: string; family: number }[]) => void)(null, [address]);
    } else {
      callback(null, address.address, address.family);
    }
  };
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = transport.request(
      url,
      {
        method: 'POST',
        lookup,
        agent: agentFor(url, address, lookup),
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'Herald-Webhooks/1' },
      },
      (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) res.destroy();
        });
        const done = () =>
          finish({ statusCode: res.statusCode, retryAfterMs: parseRetryAfter(res.headers['retry-after']), durationMs: elapsed() });
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    const timer = setTimeout(() => {
      finish({ durationMs: elapsed(), error: 'timeout' });
      req.destroy();
    }, config.timeoutMs);
    req.on('error', () => finish({ durationMs: elapsed(), error: 'connection' }));
    req.end(body);
  });
}
