import { useState } from 'preact/hooks';
import { api } from '../api';
import { formatWhen } from '../data';
import { ActionResult, Badge, Field, LoadState, Notice, Table, useAction, useLoad } from '../ui';

interface Endpoint {
  readonly id: string;
  readonly url: string;
  readonly description: string;
  readonly event_types: readonly string[];
  readonly enabled: boolean;
  readonly disabled_reason: string | null;
  readonly created_at: string;
  readonly secret?: string;
}

interface Delivery {
  readonly id: string;
  readonly event_id: string;
  readonly type: string;
  readonly attempt: number;
  readonly status: string;
  readonly response_code: number | null;
  readonly duration_ms: number | null;
  readonly error: string | null;
  readonly created_at?: string;
}

export function Webhooks() {
  const loaded = useLoad(() => api.get<{ results: readonly Endpoint[] }>('/api/webhooks'), 'webhooks');
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState<string>();
  const [open, setOpen] = useState<string>();
  const create = useAction();
  return (
    <section>
      <h1>Webhooks</h1>
      <LoadState loaded={loaded}>
        {(list) =>
          list.results.length === 0 ? (
            <Notice tone="info">No webhook endpoints yet: add one below and Herald will post its events there.</Notice>
          ) : (
            <ul class="cards">
              {list.results.map((e) => (
                <li key={e.id} class="card">
                  <p>
                    <strong>{e.url}</strong> {e.enabled ? <Badge status="enabled" /> : <Badge status="disabled" />} {e.description}
                  </p>
                  <p class="muted">Events: {e.event_types.length === 0 ? 'all' : e.event_types.join(', ')}</p>
                  {e.disabled_reason !== null && <Notice>{e.disabled_reason}</Notice>}
                  <button type="button" onClick={() => setOpen(open === e.id ? undefined : e.id)} aria-expanded={open === e.id}>
                    {open === e.id ? 'Hide' : 'Deliveries, test and replay'}
                  </button>
                  {open === e.id && <EndpointDetail endpoint={e} />}
                </li>
              ))}
            </ul>
          )
        }
      </LoadState>
      <form
        class="card inline"
        aria-label="New endpoint"
        onSubmit={(ev) => {
          ev.preventDefault();
          void create.run(async () => {
            const created = await api.post<Endpoint>('/api/webhooks', { url });
            setSecret(created.secret);
            loaded.reload();
            return 'Endpoint added.';
          });
        }}
      >
        <Field label="New endpoint URL">
          <input name="url" type="url" required value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
        </Field>
        <button type="submit" disabled={create.busy}>
          Add
        </button>
      </form>
      <ActionResult action={create} />
      {secret !== undefined && (
        <Notice tone="info">
          Its signing secret, shown once: <code>{secret}</code>
        </Notice>
      )}
    </section>
  );
}

function EndpointDetail({ endpoint }: { endpoint: Endpoint }) {
  const path = `/api/webhooks/${endpoint.id}/deliveries`;
  const deliveries = useLoad(() => api.get<{ results: readonly Delivery[] }>(path), path);
  const action = useAction();
  return (
    <div>
      <button
        type="button"
        disabled={action.busy}
        onClick={() =>
          void action.run(async () => {
            const result = await api.post<{ ok: boolean; status_code: number | null; error: string | null }>(`/api/webhooks/${endpoint.id}/test`);
            deliveries.reload();
            return result.ok ? `The test was answered ${result.status_code ?? ''}.` : `The test failed: ${result.error ?? `HTTP ${result.status_code ?? '?'}`}.`;
          })
        }
      >
        Send a test event
      </button>
      <ActionResult action={action} />
      <LoadState loaded={deliveries}>
        {(list) =>
          list.results.length === 0 ? (
            <p class="muted">No deliveries yet.</p>
          ) : (
            <Table head={['Event', 'Status', 'Answer', 'When', '']}>
                  {list.results.map((d) => (
                    <tr key={d.id}>
                      <td>{d.type}</td>
                      <td>
                        <Badge status={d.status} />
                      </td>
                      <td>{d.response_code ?? d.error ?? '—'}</td>
                      <td>{formatWhen(d.created_at)}</td>
                      <td>
                        <button
                          type="button"
                          class="link"
                          onClick={() =>
                            void action.run(async () => {
                              await api.post(`/api/webhooks/${endpoint.id}/deliveries/${d.id}/replay`);
                              deliveries.reload();
                              return 'Replayed.';
                            })
                          }
                        >
                          Replay
                        </button>
                      </td>
                    </tr>
                  ))}
                </Table>
          )
        }
      </LoadState>
    </div>
  );
}
