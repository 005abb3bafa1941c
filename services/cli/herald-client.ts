import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  acceptedSchema,
  type Accepted,
  connectionCheckSchema,
  type ConnectionCheck,
  healthSchema,
  type Identity,
  identityListSchema,
  messageDetailSchema,
  type MessageDetail,
  messagePageSchema,
  type MessagePage,
  profileSchema,
  type Profile,
  sessionSchema,
  type SessionAnswer,
} from './answers';
import { HeraldRefusal, HeraldUnreachable, problemOf } from './problem';

/** Where the bearer token of each request comes from, and how a stale one is renewed. */
export interface Credentials {
  /** The token to send, or undefined when nobody is logged in. */
  accessToken(): string | undefined;
  /** Called once after a 401: renews the token if it can; true when the request is worth repeating. */
  renew(client: HeraldClient): Promise<boolean>;
}

interface RequestOptions {
  readonly body?: unknown;
  /** Send the bearer token (default true). */
  readonly auth?: boolean;
  readonly headers?: Record<string, string>;
  readonly timeoutMs?: number;
}

// Generous: a loaded server hashing a password (scrypt) is slow, not gone; a stopped one is refused at once.
const DEFAULT_TIMEOUT_MS = 60_000;
// A send can carry 10 MB of attachments in base64.
const SEND_TIMEOUT_MS = 120_000;

function reasonOf(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (cause instanceof Error && 'code' in cause && typeof cause.code === 'string') return cause.code;
  if (cause instanceof Error && cause.name === 'TimeoutError') return 'no answer in time';
  return cause instanceof Error ? cause.message : String(cause);
}

/** Herald's HTTP API, as far as the terminal uses it (design/terminal.md, design/accounts.md). */
export class HeraldClient {
  constructor(
    readonly baseUrl: string,
    private readonly credentials: Credentials,
  ) {}

  /** One request; throws HeraldRefusal on an error answer and HeraldUnreachable when none came. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<unknown> {
    const first = await this.send(method, path, options);
    if (first.status === 401 && options.auth !== false && this.credentials.accessToken() !== undefined && (await this.credentials.renew(this))) {
      return this.answerOf(await this.send(method, path, options));
    }
    return this.answerOf(first);
  }

  private async send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const token = options.auth === false ? undefined : this.credentials.accessToken();
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    try {
      return await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
    } catch (error) {
      throw new HeraldUnreachable(this.baseUrl, reasonOf(error));
    }
  }

  private async answerOf(response: Response): Promise<unknown> {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new HeraldUnreachable(this.baseUrl, reasonOf(error));
    }
    if (!response.ok) throw new HeraldRefusal(problemOf(response.status, response.statusText, text));
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new HeraldRefusal({ status: response.status, title: 'Unexpected answer', detail: `${this.baseUrl} did not answer JSON: is HERALD_URL a Herald?`, errors: [] });
    }
  }

  private async get<S extends z.ZodType>(schema: S, path: string): Promise<z.infer<S>> {
    return this.parse(schema, await this.request('GET', path));
  }

  private parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new HeraldRefusal({ status: 200, title: 'Unexpected answer', detail: `${this.baseUrl} answered in a shape this herald does not know.`, errors: [] });
    return parsed.data;
  }

  /** GET /healthz: its status word (healthy, degraded, …), even from a 503. */
  async health(): Promise<string> {
    try {
      return this.parse(healthSchema, await this.request('GET', '/healthz', { auth: false })).status;
    } catch (error) {
      if (error instanceof HeraldRefusal && error.problem.status === 503) return 'not ready';
      throw error;
    }
  }

  async register(input: { username: string; email: string; password: string }, asCaller: boolean): Promise<SessionAnswer> {
    return this.parse(sessionSchema, await this.request('POST', '/api/auth/register', { body: input, auth: asCaller }));
  }

  async login(login: string, password: string): Promise<SessionAnswer> {
    return this.parse(sessionSchema, await this.request('POST', '/api/auth/login', { body: { login, password }, auth: false }));
  }

  async refresh(refreshToken: string): Promise<SessionAnswer> {
    return this.parse(sessionSchema, await this.request('POST', '/api/auth/refresh', { body: { refresh_token: refreshToken }, auth: false }));
  }

  async logout(refreshToken: string): Promise<void> {
    await this.request('POST', '/api/auth/logout', { body: { refresh_token: refreshToken } });
  }

  async verify(code: string): Promise<void> {
    await this.request('POST', '/api/auth/verify', { body: { token: code }, auth: false });
  }

  async resendVerification(): Promise<void> {
    await this.request('POST', '/api/auth/verify/resend');
  }

  async me(): Promise<Profile> {
    return this.get(profileSchema, '/api/me');
  }

  /** The user's sender identities; undefined when this server has no identities API yet (404). */
  async identities(): Promise<Identity[] | undefined> {
    try {
      return await this.get(identityListSchema, '/api/me/identities');
    } catch (error) {
      if (error instanceof HeraldRefusal && error.problem.status === 404) return undefined;
      throw error;
    }
  }

  async checkIdentity(id: string): Promise<ConnectionCheck> {
    return this.parse(connectionCheckSchema, await this.request('POST', `/api/me/identities/${encodeURIComponent(id)}/check`, { timeoutMs: 30_000 }));
  }

  /** Verifies an identity with the code mailed to its address. */
  async verifyIdentity(id: string, code: string): Promise<void> {
    await this.request('POST', `/api/me/identities/${encodeURIComponent(id)}/verify`, { body: { code } });
  }

  /** POST /api/notify with an idempotency key, so that a repeated submit is one message. */
  async notify(body: Record<string, unknown>, idempotencyKey: string = randomUUID()): Promise<Accepted> {
    return this.parse(acceptedSchema, await this.request('POST', '/api/notify', { body, headers: { 'Idempotency-Key': idempotencyKey }, timeoutMs: SEND_TIMEOUT_MS }));
  }

  async messages(query: { status?: string; pageSize?: number } = {}): Promise<MessagePage> {
    const params = new URLSearchParams({ page_size: String(query.pageSize ?? 20) });
    if (query.status !== undefined) params.set('status', query.status);
    return this.get(messagePageSchema, `/api/notify?${params.toString()}`);
  }

  /** The raw page, for `--json`. */
  async messagesRaw(query: { status?: string; pageSize?: number } = {}): Promise<unknown> {
    const params = new URLSearchParams({ page_size: String(query.pageSize ?? 20) });
    if (query.status !== undefined) params.set('status', query.status);
    return this.request('GET', `/api/notify?${params.toString()}`);
  }

  async message(id: string): Promise<MessageDetail> {
    return this.get(messageDetailSchema, `/api/notify/${encodeURIComponent(id)}`);
  }

  async messageRaw(id: string): Promise<unknown> {
    return this.request('GET', `/api/notify/${encodeURIComponent(id)}`);
  }

  async cancel(id: string): Promise<void> {
    await this.request('POST', `/api/notify/${encodeURIComponent(id)}/cancel`);
  }

  async retry(id: string): Promise<void> {
    await this.request('POST', `/api/messages/${encodeURIComponent(id)}/retry`);
  }
}
