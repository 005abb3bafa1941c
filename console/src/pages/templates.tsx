import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { formatWhen, parseVariables } from '../data';
import { ActionResult, Field, HtmlFrame, LoadState, Notice, sentenceOf, Table, useAction, useLoad } from '../ui';

interface TemplateVersion {
  readonly version: number;
  readonly engine: string;
  readonly subject: string;
  readonly html: string | null;
  readonly text: string | null;
  readonly source: string | null;
  readonly variables: readonly string[];
  readonly created_by: string;
  readonly created_at: string;
}

interface Template {
  readonly name: string;
  readonly description: string | null;
  readonly shared: boolean;
  readonly active_version: number;
  readonly updated_at: string;
  readonly version?: TemplateVersion;
}

interface Preview {
  readonly subject: string;
  readonly html: string | null;
  readonly text: string | null;
  readonly missing: readonly string[];
  readonly version: number;
}

/** GET /api/templates/:name/stats (services/engagement/stats-schema.ts): counts over the last 30 days by default. */
interface StatsCounts {
  readonly sent: number;
  readonly delivered: number;
  readonly bounced: number;
  readonly complained: number;
  readonly unique_human_opens: number;
  readonly machine_opens: number;
  readonly unique_clicks: number;
  readonly conversions: number;
  readonly unsubscribes: number;
  readonly rates: Readonly<Record<'bounce' | 'complaint' | 'open' | 'click' | 'conversion' | 'unsubscribe', number | null>>;
}

interface TemplateStats {
  readonly from: string;
  readonly to: string;
  readonly totals: StatsCounts;
}

const STAT_ROWS: readonly { readonly label: string; readonly count: Exclude<keyof StatsCounts, 'rates'>; readonly rate?: keyof StatsCounts['rates'] }[] = [
  { label: 'Sent', count: 'sent' },
  { label: 'Delivered', count: 'delivered' },
  { label: 'Bounced', count: 'bounced', rate: 'bounce' },
  { label: 'Complaints', count: 'complained', rate: 'complaint' },
  { label: 'Opened by a person', count: 'unique_human_opens', rate: 'open' },
  { label: 'Opened by machines', count: 'machine_opens' },
  { label: 'Clicked', count: 'unique_clicks', rate: 'click' },
  { label: 'Conversions', count: 'conversions', rate: 'conversion' },
  { label: 'Unsubscribes', count: 'unsubscribes', rate: 'unsubscribe' },
];

/** A rate of delivered messages, as a percentage. */
function percent(rate: number | null | undefined): string {
  return typeof rate === 'number' ? ` (${(rate * 100).toFixed(1)}% of delivered)` : '';
}

export function TemplateList() {
  const loaded = useLoad(() => api.get<{ results: readonly Template[] }>('/api/templates'), 'templates');
  const [name, setName] = useState('');
  const action = useAction();
  const create = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      await api.post('/api/templates', { name, subject: 'Hello {{name}}', html: '<p>Hello {{name}}!</p>' });
      location.hash = `#/templates/${encodeURIComponent(name)}`;
    });
  };
  return (
    <section>
      <h1>Templates</h1>
      <LoadState loaded={loaded}>
        {(list) =>
          list.results.length === 0 ? (
            <Notice tone="info">No templates yet: make one below.</Notice>
          ) : (
            <Table head={['Name', 'Version', 'Shared', 'Updated']}>
                  {list.results.map((t) => (
                    <tr key={t.name}>
                      <td>
                        <a href={`#/templates/${encodeURIComponent(t.name)}`}>{t.name}</a>
                      </td>
                      <td>{t.active_version}</td>
                      <td>{t.shared ? 'yes' : 'no'}</td>
                      <td>{formatWhen(t.updated_at)}</td>
                    </tr>
                  ))}
                </Table>
          )
        }
      </LoadState>
      <form class="card inline" onSubmit={create} aria-label="New template">
        <Field label="New template name" hint="Lower-case letters, digits, - and _.">
          <input name="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <button type="submit" disabled={action.busy}>
          Create
        </button>
        <ActionResult action={action} />
      </form>
    </section>
  );
}

export function TemplatePage({ name }: { name: string }) {
  const path = `/api/templates/${encodeURIComponent(name)}`;
  const loaded = useLoad(() => api.get<Template>(path), path);
  const versions = useLoad(() => api.get<{ results: readonly TemplateVersion[] } | readonly TemplateVersion[]>(`${path}/versions`), `${path}/versions`);
  const stats = useLoad(() => api.get<TemplateStats>(`${path}/stats`), `${path}/stats`);
  const [subject, setSubject] = useState('');
  const [html, setHtml] = useState('');
  const [variables, setVariables] = useState('{"name": "Ada"}');
  const [preview, setPreview] = useState<Preview>();
  const [previewError, setPreviewError] = useState<string>();
  const [saved, setSaved] = useState(0);
  const action = useAction();

  useEffect(() => {
    const version = loaded.data?.version;
    if (version === undefined) return;
    setSubject(version.subject);
    setHtml(version.source ?? version.html ?? '');
  }, [loaded.data]);

  // Live preview: the draft rendered by the API with the sample variables.
  useEffect(() => {
    const parsed = parseVariables(variables);
    if (!parsed.ok) {
      setPreviewError(parsed.error);
      return undefined;
    }
    if (loaded.data === undefined) return undefined;
    const engine = loaded.data.version?.engine ?? 'handlebars';
    const timer = setTimeout(() => {
      api.post<Preview>(`${path}/preview`, { variables: parsed.value, draft: { engine, subject, html } }).then(
        (answer) => (setPreview(answer), setPreviewError(undefined)),
        (error: unknown) => setPreviewError(sentenceOf(error)),
      );
    }, 200);
    return () => clearTimeout(timer);
  }, [variables, subject, html, saved, loaded.data]);

  const save = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const engine = loaded.data?.version?.engine ?? 'handlebars';
      const answer = await api.put<Template>(path, { engine, subject, html });
      setSaved((n) => n + 1);
      versions.reload();
      return `Saved as version ${answer.active_version}.`;
    });
  };

  const versionList = (data: { results: readonly TemplateVersion[] } | readonly TemplateVersion[]): readonly TemplateVersion[] =>
    Array.isArray(data) ? (data as readonly TemplateVersion[]) : (data as { results: readonly TemplateVersion[] }).results;

  return (
    <section>
      <p>
        <a href="#/templates">← Templates</a>
      </p>
      <h1>Template {name}</h1>
      <LoadState loaded={loaded} missing="There is no template with this name that you may see.">
        {(template) => (
          <div class="split">
            <form class="card" onSubmit={save} aria-label="Edit the template">
              <p class="muted">
                Active version {template.active_version}
                {template.version !== undefined && `, ${template.version.engine}`}.
              </p>
              <Field label="Subject">
                <input name="subject" value={subject} onInput={(e) => setSubject(e.currentTarget.value)} />
              </Field>
              <Field label="Html">
                <textarea name="html" rows={12} value={html} onInput={(e) => setHtml(e.currentTarget.value)} />
              </Field>
              <Field label="Sample variables (JSON)">
                <textarea name="variables" rows={4} value={variables} onInput={(e) => setVariables(e.currentTarget.value)} />
              </Field>
              <ActionResult action={action} />
              <button type="submit" class="primary" disabled={action.busy}>
                Save as a new version
              </button>
            </form>
            <div class="card preview" aria-live="polite">
              <h2>Preview</h2>
              {previewError !== undefined && <Notice>{previewError}</Notice>}
              {preview !== undefined && (
                <>
                  <p>
                    <strong>Subject:</strong> <span class="preview-subject">{preview.subject}</span>
                  </p>
                  {preview.missing.length > 0 && <Notice tone="info">No value for: {preview.missing.join(', ')}.</Notice>}
                  {preview.html !== null ? <HtmlFrame html={preview.html} title="Template preview" /> : <pre class="text">{preview.text ?? ''}</pre>}
                </>
              )}
            </div>
          </div>
        )}
      </LoadState>
      <h2>Versions</h2>
      <LoadState loaded={versions}>
        {(data) => (
          <ol class="timeline" reversed>
            {versionList(data).map((v) => (
              <li key={v.version}>
                Version {v.version}: “{v.subject}” by {v.created_by}, {formatWhen(v.created_at)}
              </li>
            ))}
          </ol>
        )}
      </LoadState>
      <h2>Statistics</h2>
      <LoadState loaded={stats} missing="Statistics are not available on this Herald yet (GET /api/templates/:name/stats answers 404).">
        {(s) => (
          <>
            <p class="muted">
              From {s.from} to {s.to} (UTC days the messages were accepted).
            </p>
            <dl class="facts stats">
              {STAT_ROWS.map((row) => [
                <dt key={`${row.count}-t`}>{row.label}</dt>,
                <dd key={`${row.count}-d`} data-stat={row.count}>
                  {String(s.totals[row.count])}
                  {row.rate === undefined ? '' : percent(s.totals.rates[row.rate])}
                </dd>,
              ])}
            </dl>
          </>
        )}
      </LoadState>
    </section>
  );
}
