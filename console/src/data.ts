// The console's data handling, free of the DOM so the unit tests (test/unit/console-data.test.ts) run it in node.

/** An RFC 9457 problem as the API sends it. */
export interface ProblemBody {
  readonly title?: string;
  readonly detail?: string;
  readonly status?: number;
  readonly errors?: readonly { readonly field?: string; readonly message?: string }[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A sentence for a failed API call: the problem's detail and fields, never a stack trace. */
export function problemSentence(status: number, body: unknown): string {
  if (status === 0) return 'Herald did not answer: check that it is running and that this page can reach it.';
  const problem: ProblemBody = isRecord(body) ? body : {};
  const fields = (problem.errors ?? [])
    .filter((e) => typeof e.message === 'string')
    .map((e) => (typeof e.field === 'string' && e.field !== '' ? `${e.field} ${e.message ?? ''}` : (e.message ?? '')))
    .join('; ');
  const base = typeof problem.detail === 'string' && problem.detail !== '' ? problem.detail : typeof problem.title === 'string' ? problem.title : fallbackSentence(status);
  const sentence = fields === '' ? base : `${base.replace(/\.$/, '')}: ${fields}.`;
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

function fallbackSentence(status: number): string {
  if (status === 401) return 'Your session has ended: sign in again.';
  if (status === 403) return 'Your account may not do this.';
  if (status === 404) return 'This is not here (or not yours to see).';
  if (status === 429) return 'Too many requests for now: wait a moment and try again.';
  if (status >= 500) return `Herald could not do this (HTTP ${status}): try again, and see its logs if it keeps failing.`;
  return `Herald refused this (HTTP ${status}).`;
}

/** The console's pages, from the location hash (#/messages/ID, #/templates/NAME …). */
export type Route =
  | { readonly page: 'overview' }
  | { readonly page: 'messages'; readonly kind: MessageKind; readonly filters: MessageFilters; readonly page_no: number }
  | { readonly page: 'message'; readonly kind: MessageKind; readonly id: string }
  | { readonly page: 'send' }
  | { readonly page: 'templates' }
  | { readonly page: 'template'; readonly name: string }
  | { readonly page: 'contacts' }
  | { readonly page: 'suppressions' }
  | { readonly page: 'validation' }
  | { readonly page: 'webhooks' }
  | { readonly page: 'users' }
  | { readonly page: 'keys' }
  | { readonly page: 'account' }
  | { readonly page: 'not-found'; readonly path: string };

export type MessageKind = 'notification' | 'contact';

/** The message list's filters, as GET /api/notify takes them. */
export const MESSAGE_FILTERS = ['status', 'provider', 'tag', 'template_id', 'created_after', 'created_before', 'q'] as const;
export type MessageFilters = Partial<Record<(typeof MESSAGE_FILTERS)[number], string>>;

function filtersOf(query: URLSearchParams): MessageFilters {
  const filters: MessageFilters = {};
  for (const key of MESSAGE_FILTERS) {
    const value = query.get(key);
    if (value !== null && value !== '') filters[key] = value;
  }
  return filters;
}

/** The API query of a message list page. */
export function messagesQuery(filters: MessageFilters, page: number, pageSize: number): string {
  const params = new URLSearchParams({ page: String(page), page_size: String(pageSize) });
  for (const key of MESSAGE_FILTERS) {
    const value = filters[key];
    if (value !== undefined && value !== '') params.set(key, value);
  }
  return params.toString();
}
const SIMPLE_PAGES = ['overview', 'send', 'templates', 'contacts', 'suppressions', 'validation', 'webhooks', 'users', 'keys', 'account'] as const;

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const [pathPart = '', queryPart = ''] = raw.split('?');
  const parts = pathPart.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
  const query = new URLSearchParams(queryPart);
  const [first, second] = parts;
  if (first === undefined) return { page: 'overview' };
  if (first === 'messages') {
    const kind: MessageKind = query.get('kind') === 'contact' ? 'contact' : 'notification';
    if (second !== undefined) return { page: 'message', kind, id: second };
    const pageNo = Number(query.get('page') ?? '1');
    return { page: 'messages', kind, filters: filtersOf(query), page_no: Number.isInteger(pageNo) && pageNo >= 1 ? pageNo : 1 };
  }
  if (first === 'templates' && second !== undefined) return { page: 'template', name: second };
  const simple = SIMPLE_PAGES.find((p) => p === first);
  if (simple !== undefined && second === undefined) return { page: simple };
  return { page: 'not-found', path: `/${parts.join('/')}` };
}

/** The hash of a message list with its filters. */
export function messagesHash(kind: MessageKind, filters: MessageFilters, page: number): string {
  const params = new URLSearchParams();
  if (kind !== 'notification') params.set('kind', kind);
  for (const key of MESSAGE_FILTERS) {
    const value = filters[key];
    if (value !== undefined && value !== '') params.set(key, value);
  }
  if (page > 1) params.set('page', String(page));
  const query = params.toString();
  return `#/messages${query === '' ? '' : `?${query}`}`;
}

/** A progress bar's width in whole percent, 0 to 100; 100 only when everything is done. */
export function progressPercent(done: number, total: number): number {
  if (!Number.isFinite(done) || !Number.isFinite(total) || total <= 0) return done > 0 ? 100 : 0;
  const ratio = Math.min(1, Math.max(0, done / total));
  return done >= total ? 100 : Math.min(99, Math.floor(ratio * 100));
}

/** Parses the variables box of the template and send pages: a JSON object, or a sentence why not. */
export function parseVariables(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (!isRecord(value)) return { ok: false, error: 'The variables must be a JSON object, like {"name": "Ada"}.' };
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: `The variables are not valid JSON: ${error instanceof Error ? error.message : String(error)}.` };
  }
}

/** The addresses of a "to" box: separated by commas, semicolons or line breaks. */
export function splitAddresses(text: string): string[] {
  return text
    .split(/[,;\n]/)
    .map((a) => a.trim())
    .filter((a) => a !== '');
}

/** One point of the deliveries-per-minute series. */
export interface MinutePoint {
  readonly minute: string;
  readonly sent: number;
  readonly failed: number;
}

/** The last `minutes` whole minutes up to `now`, oldest first, with zeroes where nothing happened. */
export function fillMinutes(points: readonly MinutePoint[], now: Date, minutes: number): MinutePoint[] {
  const byMinute = new Map(points.map((p) => [new Date(p.minute).toISOString(), p]));
  const end = Math.floor(now.getTime() / 60_000) * 60_000;
  const series: MinutePoint[] = [];
  for (let i = minutes - 1; i >= 0; i -= 1) {
    const minute = new Date(end - i * 60_000).toISOString();
    const point = byMinute.get(minute);
    series.push({ minute, sent: point?.sent ?? 0, failed: point?.failed ?? 0 });
  }
  return series;
}

/** The tone of a status badge. */
export function statusTone(status: string): 'good' | 'bad' | 'busy' | 'quiet' {
  if (['sent', 'delivered', 'completed', 'closed', 'valid', 'deliverable', 'healthy', 'enabled', 'verified'].includes(status)) return 'good';
  if (['failed', 'bounced', 'dead', 'open', 'invalid', 'undeliverable', 'cancelled', 'unhealthy', 'disabled', 'suppressed'].includes(status)) return 'bad';
  if (status === 'queued' || status === 'processing' || status === 'running' || status === 'pending' || status === 'scheduled' || status === 'half-open') return 'busy';
  return 'quiet';
}

/** A date as the console shows it: local, to the second; a dash when there is none. */
export function formatWhen(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A byte count for people. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The files of a send form as the API takes them: base64 content. */
export function base64OfBytes(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}
