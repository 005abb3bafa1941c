import { useState } from 'preact/hooks';
import { api, type Page, type User } from '../api';
import { formatWhen } from '../data';
import { ActionResult, Badge, Field, LoadState, Notice, Table, useAction, useLoad } from '../ui';

interface Identity {
  readonly id: string;
  readonly address: string;
  readonly display_name: string | null;
  readonly is_default: boolean;
  readonly verified: boolean;
  readonly smtp: { readonly host: string; readonly port: number; readonly security: string; readonly username: string; readonly password_set: true } | null;
  readonly last_check: (CheckResult & { readonly at: string }) | null;
}

/** POST …/identities/:id/check answers this (services/identities/schema.ts). */
interface CheckResult {
  readonly ok: boolean;
  readonly error_class: string | null;
  readonly detail: string;
}

/** A check's result as a sentence. */
function checkSentence(host: string, result: CheckResult): string {
  if (result.ok) return `The connection to ${host} works: Herald signed in.`;
  const detail = result.detail.trim().replace(/[.!?]$/, '');
  return `The connection to ${host} failed (${result.error_class ?? 'error'})${detail === '' ? '' : `: ${detail}`}.`;
}

export function Users() {
  const loaded = useLoad(() => api.get<Page<User>>('/api/admin/users?page_size=100'), 'users');
  const [open, setOpen] = useState<string>();
  const [form, setForm] = useState({ username: '', email: '', password: '', role: 'user' });
  const create = useAction();
  const action = useAction();
  const set = (key: keyof typeof form) => (e: { currentTarget: { value: string } }) => setForm({ ...form, [key]: e.currentTarget.value });
  return (
    <section>
      <h1>Users</h1>
      <LoadState loaded={loaded}>
        {(page) => (
          <ul class="cards">
            {page.results.map((u) => (
              <li key={u.id} class="card" data-user={u.username}>
                <p>
                  <strong>{u.username}</strong> &lt;{u.email}&gt; <Badge status={u.role} /> {u.verified ? <Badge status="verified" /> : <Badge status="unverified" />}{' '}
                  {u.disabled && <Badge status="disabled" />}
                </p>
                <p class="muted">Last sign-in: {formatWhen(u.last_login_at)}</p>
                <div class="actions">
                  <button
                    type="button"
                    onClick={() =>
                      void action.run(async () => {
                        await api.patch(`/api/admin/users/${u.id}`, { role: u.role === 'admin' ? 'user' : 'admin' });
                        loaded.reload();
                        return `${u.username} is now ${u.role === 'admin' ? 'a user' : 'an admin'}.`;
                      })
                    }
                  >
                    Make {u.role === 'admin' ? 'user' : 'admin'}
                  </button>
                  {!u.verified && (
                    <button
                      type="button"
                      onClick={() =>
                        void action.run(async () => {
                          await api.patch(`/api/admin/users/${u.id}`, { verified: true });
                          loaded.reload();
                          return `${u.username} is verified.`;
                        })
                      }
                    >
                      Mark verified
                    </button>
                  )}
                  <button
                    type="button"
                    onClick={() =>
                      void action.run(async () => {
                        await api.patch(`/api/admin/users/${u.id}`, { disabled: !u.disabled });
                        loaded.reload();
                        return `${u.username} is ${u.disabled ? 'enabled' : 'disabled'}.`;
                      })
                    }
                  >
                    {u.disabled ? 'Enable' : 'Disable'}
                  </button>
                  <button type="button" aria-expanded={open === u.id} onClick={() => setOpen(open === u.id ? undefined : u.id)}>
                    Sender identities
                  </button>
                </div>
                {open === u.id && <Identities base={`/api/admin/users/${u.id}/identities`} />}
              </li>
            ))}
          </ul>
        )}
      </LoadState>
      <ActionResult action={action} />
      <h2>New user</h2>
      <form
        class="card"
        aria-label="New user"
        onSubmit={(e) => {
          e.preventDefault();
          void create.run(async () => {
            await api.post('/api/admin/users', { ...form, verified: true });
            loaded.reload();
            return `${form.username} can sign in now.`;
          });
        }}
      >
        <Field label="Username">
          <input name="username" required value={form.username} onInput={set('username')} />
        </Field>
        <Field label="Email">
          <input name="email" type="email" required value={form.email} onInput={set('email')} />
        </Field>
        <Field label="Password">
          <input name="password" type="password" autoComplete="new-password" required value={form.password} onInput={set('password')} />
        </Field>
        <Field label="Role">
          <select name="role" value={form.role} onChange={set('role')}>
            <option value="user">user</option>
            <option value="admin">admin</option>
          </select>
        </Field>
        <ActionResult action={create} />
        <button type="submit" class="primary" disabled={create.busy}>
          Create the user
        </button>
      </form>
    </section>
  );
}

/** A user's sender identities (accounts.md), under /api/me/identities or /api/admin/users/:id/identities. */
export function Identities({ base }: { base: string }) {
  const loaded = useLoad(() => api.get<{ readonly results: readonly Identity[] }>(base), base);
  const [form, setForm] = useState({ address: '', host: '', port: '587', security: 'starttls', username: '', password: '' });
  const action = useAction();
  const set = (key: keyof typeof form) => (e: { currentTarget: { value: string } }) => setForm({ ...form, [key]: e.currentTarget.value });
  return (
    <div class="identities">
      <LoadState loaded={loaded} missing="Sender identities are not available on this Herald yet (the identities API answers 404).">
        {(data) => (
          <>
            {data.results.length === 0 ? (
              <p class="muted">No sender identities.</p>
            ) : (
              <ul>
                {data.results.map((i) => (
                  <li key={i.id} data-identity={i.address}>
                    <strong>{i.address}</strong> {i.is_default && <Badge status="default" />} {i.verified ? <Badge status="verified" /> : <Badge status="unverified" />}{' '}
                    {i.smtp !== null ? (
                      <span class="muted">
                        via {i.smtp.host}:{i.smtp.port} ({i.smtp.security}) as {i.smtp.username}
                      </span>
                    ) : (
                      <span class="muted">default providers</span>
                    )}{' '}
                    {i.last_check !== null && i.smtp !== null && (
                      <span class="muted" data-last-check={i.last_check.ok ? 'ok' : 'failed'}>
                        Last checked {formatWhen(i.last_check.at)}: {checkSentence(i.smtp.host, i.last_check)}
                      </span>
                    )}{' '}
                    {i.smtp !== null && (
                      <button
                        type="button"
                        disabled={action.busy}
                        onClick={() =>
                          void action.run(async () => {
                            const host = i.smtp?.host ?? '';
                            const result = await api.post<CheckResult>(`${base}/${i.id}/check`);
                            loaded.reload();
                            return checkSentence(host, result);
                          })
                        }
                      >
                        Check connection
                      </button>
                    )}
                  </li>
                ))}
              </ul>
            )}
            <form
              class="card"
              aria-label="New identity"
              onSubmit={(e) => {
                e.preventDefault();
                void action.run(async () => {
                  const body: Record<string, unknown> = { address: form.address };
                  if (form.host !== '') body.smtp = { host: form.host, port: Number(form.port), security: form.security, username: form.username, password: form.password };
                  await api.post(base, body);
                  loaded.reload();
                  return `${form.address} is added.`;
                });
              }}
            >
              <Field label="Address">
                <input name="address" type="email" required value={form.address} onInput={set('address')} />
              </Field>
              <Field label="SMTP host" hint="Empty: send through Herald's providers.">
                <input name="host" value={form.host} onInput={set('host')} />
              </Field>
              <Field label="SMTP port">
                <input name="port" inputMode="numeric" value={form.port} onInput={set('port')} />
              </Field>
              <Field label="Security">
                <select name="security" value={form.security} onChange={set('security')}>
                  <option value="starttls">starttls</option>
                  <option value="tls">tls</option>
                  <option value="none">none (only where Herald allows private hosts)</option>
                </select>
              </Field>
              <Field label="SMTP username">
                <input name="smtp-username" value={form.username} onInput={set('username')} />
              </Field>
              <Field label="SMTP password" hint="Write-only: Herald never shows it again.">
                <input name="smtp-password" type="password" autoComplete="off" value={form.password} onInput={set('password')} />
              </Field>
              <button type="submit" disabled={action.busy}>
                Add the identity
              </button>
            </form>
          </>
        )}
      </LoadState>
      <ActionResult action={action} />
    </div>
  );
}

interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly scopes: readonly string[];
  readonly created_at: string;
  readonly last_used_at?: string | null;
  readonly revoked_at: string | null;
}

const SCOPES = ['notify:send', 'messages:read', 'templates:write', 'contacts:write', 'suppressions:write', 'webhooks:write', 'validate', 'admin'];

export function ApiKeys() {
  const loaded = useLoad(() => api.get<{ results: readonly ApiKey[] }>('/api/admin/keys'), 'keys');
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['notify:send', 'messages:read']);
  const [created, setCreated] = useState<string>();
  const action = useAction();
  return (
    <section>
      <h1>API keys</h1>
      <LoadState loaded={loaded} missing="This Herald has no API-key endpoint (GET /api/admin/keys answers 404); use herald keys.">
        {(list) =>
          list.results.length === 0 ? (
            <Notice tone="info">No API keys yet.</Notice>
          ) : (
            <Table head={['Name', 'Key', 'Scopes', 'Created', 'State']}>
                  {list.results.map((k) => (
                    <tr key={k.id}>
                      <td>{k.name}</td>
                      <td>
                        <code>{k.prefix}…</code>
                      </td>
                      <td>{k.scopes.join(', ')}</td>
                      <td>{formatWhen(k.created_at)}</td>
                      <td>
                        {k.revoked_at !== null ? (
                          `revoked ${formatWhen(k.revoked_at)}`
                        ) : (
                          <button
                            type="button"
                            class="link"
                            onClick={() =>
                              void action.run(async () => {
                                await api.delete(`/api/admin/keys/${k.id}`);
                                loaded.reload();
                                return `${k.name} is revoked.`;
                              })
                            }
                          >
                            Revoke
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </Table>
          )
        }
      </LoadState>
      <form
        class="card"
        aria-label="New API key"
        onSubmit={(e) => {
          e.preventDefault();
          setCreated(undefined);
          void action.run(async () => {
            const answer = await api.post<{ key: string }>('/api/admin/keys', { name, scopes });
            setCreated(answer.key);
            loaded.reload();
          });
        }}
      >
        <Field label="Name">
          <input name="key-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s} class="check">
              <input type="checkbox" checked={scopes.includes(s)} onChange={(e) => setScopes(e.currentTarget.checked ? [...scopes, s] : scopes.filter((x) => x !== s))} /> {s}
            </label>
          ))}
        </fieldset>
        <button type="submit" class="primary" disabled={action.busy}>
          Create the key
        </button>
      </form>
      <ActionResult action={action} />
      {created !== undefined && (
        <Notice tone="success">
          The key, shown once — store it now: <code class="secret">{created}</code>
        </Notice>
      )}
    </section>
  );
}
