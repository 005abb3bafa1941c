import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { base64OfBytes, formatBytes, parseVariables, splitAddresses } from '../data';
import { Field, HtmlFrame, Notice, sentenceOf, useAction } from '../ui';

interface Preview {
  readonly subject: string;
  readonly html: string | null;
  readonly text: string | null;
}

interface FileItem {
  readonly filename: string;
  readonly content_type: string;
  readonly content: string;
  readonly size: number;
}

export function Send() {
  const [to, setTo] = useState('');
  const [subject, setSubject] = useState('');
  const [html, setHtml] = useState('<p>Hello!</p>');
  const [template, setTemplate] = useState('');
  const [variables, setVariables] = useState('{}');
  const [provider, setProvider] = useState('');
  const [files, setFiles] = useState<FileItem[]>([]);
  const [preview, setPreview] = useState<Preview>();
  const [previewError, setPreviewError] = useState<string>();
  const [sentId, setSentId] = useState<string>();
  const action = useAction();
  const [templates, setTemplates] = useState<readonly { name: string }[]>([]);

  useEffect(() => {
    api.get<readonly { name: string }[] | { results: readonly { name: string }[] }>('/api/templates').then(
      (list) => setTemplates(Array.isArray(list) ? list : (list as { results: readonly { name: string }[] }).results),
      () => setTemplates([]),
    );
  }, []);

  // The live preview: the html as typed, or the template rendered by the API with the variables.
  useEffect(() => {
    if (template === '') {
      setPreview({ subject, html, text: null });
      setPreviewError(undefined);
      return undefined;
    }
    const parsed = parseVariables(variables);
    if (!parsed.ok) {
      setPreviewError(parsed.error);
      return undefined;
    }
    const timer = setTimeout(() => {
      api.post<Preview>(`/api/templates/${encodeURIComponent(template)}/preview`, { variables: parsed.value }).then(
        (answer) => (setPreview(answer), setPreviewError(undefined)),
        (error: unknown) => setPreviewError(sentenceOf(error)),
      );
    }, 250);
    return () => clearTimeout(timer);
  }, [template, variables, subject, html]);

  const addFiles = async (list: FileList | null) => {
    if (list === null) return;
    const added: FileItem[] = [];
    for (const file of Array.from(list)) {
      added.push({ filename: file.name, content_type: file.type || 'application/octet-stream', content: base64OfBytes(new Uint8Array(await file.arrayBuffer())), size: file.size });
    }
    setFiles((f) => [...f, ...added]);
  };

  const submit = (event: Event) => {
    event.preventDefault();
    setSentId(undefined);
    void action.run(async () => {
      const body: Record<string, unknown> = { to: splitAddresses(to) };
      if (template !== '') {
        const parsed = parseVariables(variables);
        if (!parsed.ok) throw new Error(parsed.error);
        body.template = template;
        body.variables = parsed.value;
      } else {
        body.subject = subject;
        body.html = html;
      }
      if (provider !== '') body.provider = provider;
      if (files.length > 0) body.attachments = files.map(({ filename, content_type, content }) => ({ filename, content_type, content }));
      const accepted = await api.post<{ id: string; status: string }>('/api/notify', body, { 'idempotency-key': crypto.randomUUID() });
      setSentId(accepted.id);
      return `Accepted: ${accepted.status}.`;
    });
  };

  return (
    <section>
      <h1>Send</h1>
      <div class="split">
        <form onSubmit={submit} class="card" aria-label="Compose">
          <Field label="To" hint="One or more addresses, separated by commas.">
            <input name="to" required value={to} onInput={(e) => setTo(e.currentTarget.value)} />
          </Field>
          <Field label="Template" hint="Or none, and write the subject and html here.">
            <select name="template" value={template} onChange={(e) => setTemplate(e.currentTarget.value)}>
              <option value="">none</option>
              {templates.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name}
                </option>
              ))}
            </select>
          </Field>
          {template === '' ? (
            <>
              <Field label="Subject">
                <input name="subject" required value={subject} onInput={(e) => setSubject(e.currentTarget.value)} />
              </Field>
              <Field label="Html">
                <textarea name="html" rows={8} value={html} onInput={(e) => setHtml(e.currentTarget.value)} />
              </Field>
            </>
          ) : (
            <Field label="Variables (JSON)">
              <textarea name="variables" rows={6} value={variables} onInput={(e) => setVariables(e.currentTarget.value)} />
            </Field>
          )}
          <Field label="Provider" hint="Leave empty for the configured chain.">
            <select name="provider" value={provider} onChange={(e) => setProvider(e.currentTarget.value)}>
              <option value="">default</option>
              <option value="smtp">smtp</option>
              <option value="sendgrid">sendgrid</option>
              <option value="mailgun">mailgun</option>
              <option value="outbox">outbox</option>
            </select>
          </Field>
          <Field label="Attachments">
            <input type="file" multiple onChange={(e) => void addFiles(e.currentTarget.files)} />
          </Field>
          {files.length > 0 && (
            <ul>
              {files.map((f, i) => (
                <li key={`${f.filename}-${i}`}>
                  {f.filename} ({formatBytes(f.size)}){' '}
                  <button type="button" class="link" onClick={() => setFiles(files.filter((_, j) => j !== i))}>
                    remove
                  </button>
                </li>
              ))}
            </ul>
          )}
          {action.error !== undefined && <Notice>{action.error}</Notice>}
          {action.done !== undefined && sentId !== undefined && (
            <Notice tone="success">
              {action.done} <a href={`#/messages/${sentId}`}>Follow the message</a>.
            </Notice>
          )}
          <button type="submit" class="primary" disabled={action.busy}>
            Send
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
              {preview.html !== null ? <HtmlFrame html={preview.html} title="Preview" /> : <pre class="text">{preview.text ?? ''}</pre>}
            </>
          )}
        </div>
      </div>
    </section>
  );
}
