import { useState } from 'preact/hooks';
import { api, type Page } from '../api';
import { formatBytes, formatWhen, type MessageFilters, messagesHash, messagesQuery, type MessageKind, type Route } from '../data';
import { ActionResult, Badge, HtmlFrame, LoadState, Notice, Table, useAction, useInterval, useLoad } from '../ui';

const STATUSES = ['pending', 'queued', 'scheduled', 'sending', 'sent', 'delivered', 'bounced', 'failed', 'cancelled', 'suppressed'];
const PROVIDERS = ['smtp', 'sendgrid', 'mailgun', 'outbox'];

function toIso(ms: number | ''): string {
  return ms === '' ? '' : new Date(ms).toISOString();
}

const IN_FLIGHT = new Set(['pending', 'queued', 'scheduled', 'sending']);

interface MessageRow {
  readonly id: string;
  readonly status: string;
  readonly to?: readonly string[];
  readonly subject?: string;
  readonly name?: string;
  readonly email?: string;
  readonly provider: string | null;
  readonly retry_count: number;
  readonly error_message: string | null;
  readonly created_at: string;
  readonly sent_at: string | null;
  readonly tags?: readonly string[];
}

interface MessageDetail extends MessageRow {
  readonly html?: string | null;
  readonly text?: string | null;
  readonly message?: string;
  readonly cc?: readonly string[];
  readonly template_id?: string | null;
  readonly template_version?: number | null;
  readonly attachments: readonly { filename: string; content_type: string; size: number }[];
  readonly attempts: readonly { attempt: number; provider: string; outcome: string; error: string | null; duration_ms: number; at: string }[];
  readonly events: readonly { type: string; at: string; data: Record<string, unknown> }[];
}

function basePath(kind: MessageKind): string {
  return kind === 'contact' ? '/api/contact' : '/api/notify';
}

export function MessageList({ route }: { route: Extract<Route, { page: 'messages' }> }) {
  const path = `${basePath(route.kind)}?${messagesQuery(route.filters, route.page_no, 25)}`;
  const loaded = useLoad(() => api.get<Page<MessageRow>>(path), path);
  useInterval(loaded.reload, 3000);
  const go = (kind: MessageKind, filters: MessageFilters, page: number) => (location.hash = messagesHash(kind, filters, page));
  const set = (key: keyof MessageFilters, value: string) => go(route.kind, { ...route.filters, [key]: value }, 1);
  const [draft, setDraft] = useState({ q: route.filters.q ?? '', tag: route.filters.tag ?? '' });
  const templates = useLoad(() => api.get<{ results: readonly { id: string; name: string }[] }>('/api/templates'), 'templates');
  const day = (iso: string | undefined) => (iso === undefined ? '' : iso.slice(0, 10));
  const fromDay = (value: string, end: boolean) => (value === '' ? '' : new Date(`${value}T00:00:00`).getTime() + (end ? 86_400_000 : 0));
  const filtered = Object.keys(route.filters).length > 0;
  return (
    <section>
      <h1>Messages</h1>
      <form
        class="filters"
        aria-label="Filters"
        onSubmit={(e) => {
          e.preventDefault();
          go(route.kind, { ...route.filters, q: draft.q.trim(), tag: draft.tag.trim() }, 1);
        }}
      >
        <label>
          Kind{' '}
          <select value={route.kind} onChange={(e) => go(e.currentTarget.value as MessageKind, route.filters, 1)}>
            <option value="notification">notifications</option>
            <option value="contact">contact form</option>
          </select>
        </label>
        <label>
          Status{' '}
          <select name="status" value={route.filters.status ?? ''} onChange={(e) => set('status', e.currentTarget.value)}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Provider{' '}
          <select name="provider" value={route.filters.provider ?? ''} onChange={(e) => set('provider', e.currentTarget.value)}>
            <option value="">any</option>
            {PROVIDERS.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        {route.kind === 'notification' && (
          <label>
            Template{' '}
            <select name="template" value={route.filters.template_id ?? ''} onChange={(e) => set('template_id', e.currentTarget.value)}>
              <option value="">any</option>
              {(templates.data?.results ?? []).map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          From{' '}
          <input type="date" name="from" value={day(route.filters.created_after)} onChange={(e) => set('created_after', toIso(fromDay(e.currentTarget.value, false)))} />
        </label>
        <label>
          To{' '}
          <input type="date" name="until" value={day(route.filters.created_before === undefined ? undefined : new Date(new Date(route.filters.created_before).getTime() - 1).toISOString())} onChange={(e) => set('created_before', toIso(fromDay(e.currentTarget.value, true)))} />
        </label>
        {route.kind === 'notification' && (
          <label>
            Tag <input name="tag" size={10} value={draft.tag} onInput={(e) => setDraft({ ...draft, tag: e.currentTarget.value })} />
          </label>
        )}
        <label>
          Id or recipient <input name="q" type="search" value={draft.q} onInput={(e) => setDraft({ ...draft, q: e.currentTarget.value })} />
        </label>
        <button type="submit">Search</button>
        {filtered && (
          <a href={messagesHash(route.kind, {}, 1)} onClick={() => setDraft({ q: '', tag: '' })}>
            Clear the filters
          </a>
        )}
      </form>
      <LoadState loaded={loaded}>
        {(page) =>
          page.results.length === 0 ? (
            <Notice tone="info">{filtered ? 'No message matches these filters.' : 'No messages yet: send one from the Send page.'}</Notice>
          ) : (
            <>
              <Table head={['Status', route.kind === 'contact' ? 'From' : 'To', route.kind === 'contact' ? 'Email' : 'Subject', 'Provider', 'Created']} className="messages">
                    {page.results.map((m) => (
                      <tr key={m.id} data-id={m.id}>
                        <td>
                          <Badge status={m.status} />
                        </td>
                        <td>
                          <a href={`#/messages/${m.id}${route.kind === 'contact' ? '?kind=contact' : ''}`}>{route.kind === 'contact' ? m.name : (m.to ?? []).join(', ')}</a>
                        </td>
                        <td>{route.kind === 'contact' ? m.email : m.subject}</td>
                        <td>{m.provider ?? '—'}</td>
                        <td>{formatWhen(m.created_at)}</td>
                      </tr>
                    ))}
                  </Table>
              <p class="pager">
                {page.count} in all.{' '}
                {page.previous !== null && (
                  <a href={messagesHash(route.kind, route.filters, route.page_no - 1)}>Newer</a>
                )}{' '}
                {page.next !== null && <a href={messagesHash(route.kind, route.filters, route.page_no + 1)}>Older</a>}
              </p>
            </>
          )
        }
      </LoadState>
    </section>
  );
}

export function MessagePage({ kind, id }: { kind: MessageKind; id: string }) {
  const path = `${basePath(kind)}/${encodeURIComponent(id)}`;
  const loaded = useLoad(() => api.get<MessageDetail>(path), path);
  const action = useAction();
  const inFlight = loaded.data !== undefined && IN_FLIGHT.has(loaded.data.status);
  useInterval(loaded.reload, 1000, inFlight || action.busy);
  const [downloading, setDownloading] = useState<string>();
  const download = (n: number, filename: string) => {
    setDownloading(undefined);
    api.blob(`/api/notify/${encodeURIComponent(id)}/attachments/${n}`).then(
      (blob) => {
        const url = URL.createObjectURL(blob);
        const a = document.createElement('a');
        a.href = url;
        a.download = filename;
        a.click();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      },
      (error: unknown) => setDownloading(error instanceof Error ? error.message : 'The file could not be downloaded.'),
    );
  };
  return (
    <section>
      <p>
        <a href={messagesHash(kind, {}, 1)}>← Messages</a>
      </p>
      <LoadState loaded={loaded} missing="There is no message with this id that you may see.">
        {(m) => (
          <>
            <h1>{kind === 'contact' ? `Contact form: ${m.name ?? ''}` : m.subject}</h1>
            <dl class="facts">
              <dt>Status</dt>
              <dd>
                <Badge status={m.status} />
              </dd>
              <dt>Id</dt>
              <dd>
                <code>{m.id}</code>
              </dd>
              <dt>{kind === 'contact' ? 'From' : 'To'}</dt>
              <dd>{kind === 'contact' ? `${m.name ?? ''} <${m.email ?? ''}>` : (m.to ?? []).join(', ')}</dd>
              <dt>Provider</dt>
              <dd>{m.provider ?? '—'}</dd>
              <dt>Created</dt>
              <dd>{formatWhen(m.created_at)}</dd>
              <dt>Sent</dt>
              <dd>{formatWhen(m.sent_at)}</dd>
              <dt>Tries</dt>
              <dd>{m.retry_count}</dd>
              {m.error_message !== null && (
                <>
                  <dt>Error</dt>
                  <dd class="error-text">{m.error_message}</dd>
                </>
              )}
              {m.template_id != null && (
                <>
                  <dt>Template</dt>
                  <dd>
                    {m.template_id} (version {m.template_version ?? '?'})
                  </dd>
                </>
              )}
            </dl>
            <div class="actions">
              {api.isAdmin && (m.status === 'failed' || m.status === 'bounced' || m.status === 'cancelled') && (
                <button
                  type="button"
                  disabled={action.busy}
                  onClick={() =>
                    void action.run(async () => {
                      await api.post(`/api/messages/${encodeURIComponent(m.id)}/retry`);
                      loaded.reload();
                      return 'Queued again.';
                    })
                  }
                >
                  Retry
                </button>
              )}
              {kind === 'notification' && IN_FLIGHT.has(m.status) && (
                <button
                  type="button"
                  disabled={action.busy}
                  onClick={() =>
                    void action.run(async () => {
                      await api.post(`/api/notify/${encodeURIComponent(m.id)}/cancel`);
                      loaded.reload();
                      return 'Cancelled.';
                    })
                  }
                >
                  Cancel
                </button>
              )}
            </div>
            <ActionResult action={action} />
            <h2>Content</h2>
            {kind === 'contact' ? (
              <pre class="text">{m.message}</pre>
            ) : m.html != null ? (
              <HtmlFrame html={m.html} title="The message's html" />
            ) : (
              <pre class="text">{m.text ?? ''}</pre>
            )}
            <h2>Attachments</h2>
            {downloading !== undefined && <Notice>{downloading}</Notice>}
            {m.attachments.length === 0 ? (
              <p class="muted">No attachments.</p>
            ) : (
              <ul>
                {m.attachments.map((a, n) => (
                  <li key={a.filename}>
                    <button type="button" class="link" onClick={() => download(n, a.filename)}>
                      {a.filename}
                    </button>{' '}
                    ({a.content_type}, {formatBytes(a.size)})
                  </li>
                ))}
              </ul>
            )}
            <h2>Attempts</h2>
            {m.attempts.length === 0 ? (
              <p class="muted">No delivery attempt yet.</p>
            ) : (
              <ol class="timeline">
                {m.attempts.map((a) => (
                  <li key={`${a.attempt}-${a.provider}-${a.at}`}>
                    <strong>
                      Attempt {a.attempt}, {a.provider}
                    </strong>
                    : <Badge status={a.outcome} /> in {a.duration_ms} ms, {formatWhen(a.at)}
                    {a.error !== null && <div class="error-text">{a.error}</div>}
                  </li>
                ))}
              </ol>
            )}
            <h2>Events</h2>
            {m.events.length === 0 ? (
              <p class="muted">No events yet.</p>
            ) : (
              <ol class="timeline">
                {m.events.map((e, i) => (
                  <li key={`${e.type}-${i}`}>
                    <strong>{e.type}</strong> {formatWhen(e.at)}
                  </li>
                ))}
              </ol>
            )}
          </>
        )}
      </LoadState>
    </section>
  );
}
