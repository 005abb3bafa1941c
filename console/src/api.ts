import { problemSentence } from './data';

/** A failed call, with the sentence to show. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

export interface User {
  readonly id: string;
  readonly username: string;
  readonly email: string;
  readonly display_name: string | null;
  readonly role: 'admin' | 'user';
  readonly verified: boolean;
  readonly disabled: boolean;
  readonly created_at: string;
  readonly last_login_at: string | null;
}

export interface Page<T> {
  readonly count: number;
  readonly next: string | null;
  readonly previous: string | null;
  readonly results: readonly T[];
}

interface TokenAnswer {
  readonly access_token: string;
  readonly expires_in: number;
  readonly user?: User;
}

type Listener = () => void;

/**
 * Herald's JSON API as the console calls it. The access token lives in this object only; the
 * refresh token is the HttpOnly cookie the API sets on a `cookie: true` login (console.md).
 */
export class Api {
  private accessToken: string | null = null;
  private refreshing: Promise<boolean> | null = null;
  user: User | null = null;
  private readonly listeners = new Set<Listener>();

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  /** The access token, for the one upload that cannot go through fetch (its progress). */
  get token(): string | null {
    return this.accessToken;
  }

  get isAdmin(): boolean {
    return this.user?.role === 'admin';
  }

  async login(login: string, password: string): Promise<void> {
    const answer = await this.call<TokenAnswer>('POST', '/api/auth/login', { login, password, cookie: true }, { auth: false });
    this.accessToken = answer.access_token;
    this.user = answer.user ?? null;
    remember(true);
    this.changed();
  }

  async register(username: string, email: string, password: string): Promise<void> {
    await this.call<TokenAnswer>('POST', '/api/auth/register', { username, email, password }, { auth: false });
  }

  /** Resumes the session of the cookie, if any: true when signed in. */
  async resume(): Promise<boolean> {
    // Only a browser that signed in before holds the cookie; others need not ask (and see a 401).
    if (!remembered() || !(await this.refresh())) return false;
    this.user = await this.call<User>('GET', '/api/me');
    this.changed();
    return true;
  }

  async logout(): Promise<void> {
    try {
      if (this.accessToken !== null) await this.call('POST', '/api/auth/logout', {});
    } finally {
      this.accessToken = null;
      this.user = null;
      remember(false);
      this.changed();
    }
  }

  private refresh(): Promise<boolean> {
    this.refreshing ??= (async () => {
      try {
        const response = await fetch('/api/auth/refresh', {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        if (!response.ok) {
          remember(false);
          return false;
        }
        const answer = (await response.json()) as TokenAnswer;
        this.accessToken = answer.access_token;
        return true;
      } catch {
        return false;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    return this.call<T>('POST', path, body, { headers });
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PUT', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PATCH', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  /** A text upload (CSV) with its media type. */
  upload<T>(path: string, text: string, type: string): Promise<T> {
    return this.call<T>('POST', path, text, { contentType: type });
  }

  /** A file the API serves behind the bearer token, as a Blob (results.csv, attachments). */
  async blob(path: string): Promise<Blob> {
    const response = await this.send('GET', path, undefined, {});
    if (!response.ok) throw new ApiError(response.status, problemSentence(response.status, await bodyOf(response)), undefined);
    return response.blob();
  }

  private async send(method: string, path: string, body: unknown, options: CallOptions): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...(options.headers ?? {}) };
    if (options.auth !== false && this.accessToken !== null) headers.authorization = `Bearer ${this.accessToken}`;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      payload = typeof body === 'string' && options.contentType !== undefined ? body : JSON.stringify(body);
    }
    return fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  }

  async call<T>(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<T> {
    let response: Response;
    try {
      response = await this.send(method, path, body, options);
      if (response.status === 401 && options.auth !== false && (await this.refresh())) response = await this.send(method, path, body, options);
    } catch {
      throw new ApiError(0, problemSentence(0, undefined), undefined);
    }
    const answer = await bodyOf(response);
    if (!response.ok) {
      if (response.status === 401 && options.auth !== false) {
        this.accessToken = null;
        this.user = null;
        this.changed();
      }
      throw new ApiError(response.status, problemSentence(response.status, answer), answer);
    }
    return answer as T;
  }
}

interface CallOptions {
  readonly auth?: boolean;
  readonly headers?: Record<string, string> | undefined;
  readonly contentType?: string;
}

async function bodyOf(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  const type = response.headers.get('content-type') ?? '';
  try {
    return type.includes('json') ? await response.json() : await response.text();
  } catch {
    return undefined;
  }
}

// Whether this browser holds a session cookie: a hint only (the cookie itself is HttpOnly).
const SESSION_HINT = 'herald.session';

function remembered(): boolean {
  try {
    return localStorage.getItem(SESSION_HINT) === '1';
  } catch {
    return true;
  }
}

function remember(on: boolean): void {
  try {
    if (on) localStorage.setItem(SESSION_HINT, '1');
    else localStorage.removeItem(SESSION_HINT);
  } catch {
    // Storage may be off; resume then just asks.
  }
}

export const api = new Api();
