import { useState } from 'preact/hooks';
import { api, type Page } from '../api';
import { formatWhen, problemSentence } from '../data';
import { ActionResult, Field, LoadState, Notice, Progress, Table, useAction, useLoad } from '../ui';

interface Contact {
  readonly id: string;
  readonly email: string;
  readonly first_name: string | null;
  readonly last_name: string | null;
  readonly unsubscribed_at?: string | null;
  readonly created_at: string;
}

interface ImportResult {
  readonly received: number;
  readonly created: number;
  readonly updated: number;
  readonly rejected: number;
  readonly rejections: readonly { line?: number; message?: string; email?: string }[];
}

/** Uploads with XMLHttpRequest: fetch cannot report upload progress. */
function uploadWithProgress(path: string, body: string, token: string | null, onProgress: (done: number, total: number) => void): Promise<ImportResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('content-type', 'text/csv');
    xhr.setRequestHeader('accept', 'application/json');
    if (token !== null) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : body.length);
    xhr.onerror = () => reject(new Error(problemSentence(0, undefined)));
    xhr.onload = () => {
      let answer: unknown;
      try {
        answer = JSON.parse(xhr.responseText);
      } catch {
        answer = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(answer as ImportResult);
      else reject(new Error(problemSentence(xhr.status, answer)));
    };
    xhr.send(body);
  });
}

export function Contacts() {
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const path = `/api/contacts?page_size=50${query === '' ? '' : `&email=${encodeURIComponent(query)}`}`;
  const loaded = useLoad(() => api.get<Page<Contact>>(path), path);
  const [csv, setCsv] = useState('');
  const [progress, setProgress] = useState<{ done: number; total: number }>();
  const [result, setResult] = useState<ImportResult>();
  const action = useAction();
  return (
    <section>
      <h1>Contacts</h1>
      <form class="filters" aria-label="Search" onSubmit={(e) => (e.preventDefault(), setQuery(search.trim()))}>
        <label>
          Email <input name="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      <LoadState loaded={loaded}>
        {(page) =>
          page.results.length === 0 ? (
            <Notice tone="info">{query === '' ? 'No contacts yet: import a CSV below.' : `No contact matches ${query}.`}</Notice>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Email</th>
                    <th>Name</th>
                    <th>Unsubscribed</th>
                    <th>Added</th>
                  </tr>
                </thead>
                <tbody>
                  {page.results.map((c) => (
                    <tr key={c.id}>
                      <td>{c.email}</td>
                      <td>{[c.first_name, c.last_name].filter((n) => n !== null).join(' ')}</td>
                      <td>{formatWhen(c.unsubscribed_at ?? null)}</td>
                      <td>{formatWhen(c.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p class="muted">{page.count === 1 ? "1 contact." : `${page.count} contacts.`}</p>
            </div>
          )
        }
      </LoadState>
      <h2>Import a CSV</h2>
      <form
        class="card"
        aria-label="Import contacts"
        onSubmit={(e) => {
          e.preventDefault();
          setResult(undefined);
          void action.run(async () => {
            setProgress({ done: 0, total: csv.length });
            const answer = await uploadWithProgress('/api/contacts/import', csv, api.token, (done, total) => setProgress({ done, total }));
            setProgress((p) => (p === undefined ? p : { done: p.total, total: p.total }));
            setResult(answer);
            loaded.reload();
          });
        }}
      >
        <Field label="A CSV file with an email column (first_name, last_name and others optional)">
          <input type="file" accept=".csv,text/csv" onChange={(e) => void e.currentTarget.files?.[0]?.text().then(setCsv)} />
        </Field>
        <button type="submit" class="primary" disabled={action.busy || csv === ''}>
          Import
        </button>
        {progress !== undefined && <Progress done={progress.done} total={progress.total} label="Import progress" />}
        <ActionResult action={action} />
        {result !== undefined && (
          <Notice tone="success">
            {result.received} rows: {result.created} added, {result.updated} updated, {result.rejected} rejected.
          </Notice>
        )}
      </form>
    </section>
  );
}

/** services/suppressions/schema.ts: addresses are kept lower-cased. */
interface Suppression {
  readonly address: string;
  readonly reason: string;
  readonly scope: 'client' | 'global';
  readonly created_at: string;
  readonly expires_at: string | null;
}

export function Suppressions() {
  const loaded = useLoad(() => api.get<Page<Suppression>>('/api/suppressions?page_size=100'), 'suppressions');
  const [address, setAddress] = useState('');
  const action = useAction();
  return (
    <section>
      <h1>Suppressions</h1>
      <LoadState loaded={loaded} missing="Suppressions are not available on this Herald yet (GET /api/suppressions answers 404).">
        {(list) => (
          <>
            {list.results.length === 0 ? (
              <Notice tone="info">No suppressed addresses: Herald sends to everyone.</Notice>
            ) : (
              <Table head={['Address', 'Reason', 'Since', 'Until', '']}>
                    {list.results.map((s) => (
                      <tr key={s.address}>
                        <td>{s.address}</td>
                        <td>
                          {s.reason}
                          {s.scope === 'global' ? ' (every client)' : ''}
                        </td>
                        <td>{formatWhen(s.created_at)}</td>
                        <td>{s.expires_at === null ? 'never ends' : formatWhen(s.expires_at)}</td>
                        <td>
                          <button
                            type="button"
                            class="link"
                            onClick={() =>
                              void action.run(async () => {
                                await api.delete(`/api/suppressions/${encodeURIComponent(s.address)}`);
                                loaded.reload();
                                return `${s.address} may be sent to again.`;
                              })
                            }
                          >
                            Remove
                          </button>
                        </td>
                      </tr>
                    ))}
                  </Table>
            )}
            <form
              class="card inline"
              aria-label="Suppress an address"
              onSubmit={(e) => {
                e.preventDefault();
                void action.run(async () => {
                  const added = await api.post<Suppression>('/api/suppressions', { address: address.trim(), reason: 'manual' });
                  setAddress('');
                  loaded.reload();
                  return `${added.address} is suppressed.`;
                });
              }}
            >
              <Field label="Suppress an address">
                <input name="address" required value={address} onInput={(e) => setAddress(e.currentTarget.value)} />
              </Field>
              <button type="submit" disabled={action.busy}>
                Suppress
              </button>
            </form>
            <ActionResult action={action} />
          </>
        )}
      </LoadState>
    </section>
  );
}
