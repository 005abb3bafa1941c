import { useState } from 'preact/hooks';
import { api } from '../api';
import { ActionResult, Badge, Field, Notice, Progress, useAction, useInterval } from '../ui';

interface Verdict {
  readonly email: string;
  readonly result: string;
  readonly score: number;
  readonly reasons: readonly string[];
  readonly checks?: { readonly typo?: { readonly suggestion: string } | null };
}

interface Job {
  readonly job_id: string;
  readonly status: string;
  readonly total: number;
  readonly processed: number;
  readonly counts?: Record<string, number>;
}

export function Validation() {
  const [email, setEmail] = useState('');
  const [verdict, setVerdict] = useState<Verdict>();
  const check = useAction();
  const [listText, setListText] = useState('');
  const [job, setJob] = useState<Job>();
  const upload = useAction();
  const [pollError, setPollError] = useState<string>();
  const download = useAction();

  const running = job !== undefined && (job.status === 'queued' || job.status === 'running');
  useInterval(
    () => {
      if (job === undefined) return;
      api.get<Job>(`/api/validate/jobs/${job.job_id}`).then(
        (j) => (setJob(j), setPollError(undefined)),
        (error: unknown) => setPollError(error instanceof Error ? error.message : 'The job could not be read.'),
      );
    },
    700,
    running,
  );

  const onFile = async (files: FileList | null) => {
    const file = files?.[0];
    if (file !== undefined) setListText(await file.text());
  };

  return (
    <section>
      <h1>Validation</h1>
      <form
        class="card inline"
        aria-label="Check one address"
        onSubmit={(e) => {
          e.preventDefault();
          void check.run(async () => setVerdict(await api.post<Verdict>('/api/validate/email', { email })));
        }}
      >
        <Field label="Check one address">
          <input name="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </Field>
        <button type="submit" disabled={check.busy}>
          Check
        </button>
      </form>
      <ActionResult action={check} />
      {verdict !== undefined && (
        <p class="verdict">
          {verdict.email}: <Badge status={verdict.result} /> score {verdict.score}
          {verdict.reasons.length > 0 && <> ({verdict.reasons.join(', ')})</>}
          {verdict.checks?.typo != null && <> — did you mean {verdict.checks.typo.suggestion}?</>}
        </p>
      )}
      <h2>A list</h2>
      <form
        class="card"
        aria-label="Validate a list"
        onSubmit={(e) => {
          e.preventDefault();
          setJob(undefined);
          void upload.run(async () => {
            const created = await api.upload<Job>('/api/validate/jobs', listText, 'text/plain');
            setJob({ ...created, processed: 0 });
          });
        }}
      >
        <Field label="A file of addresses (one a line, or a CSV with an email column)">
          <input type="file" name="list" accept=".csv,.txt,text/csv,text/plain" onChange={(e) => void onFile(e.currentTarget.files)} />
        </Field>
        <Field label="Or paste them">
          <textarea name="addresses" rows={6} value={listText} onInput={(e) => setListText(e.currentTarget.value)} />
        </Field>
        <ActionResult action={upload} />
        <button type="submit" class="primary" disabled={upload.busy || listText.trim() === ''}>
          Validate the list
        </button>
      </form>
      {job !== undefined && (
        <div class="card job" data-job={job.job_id}>
          <p>
            Job <code>{job.job_id}</code>: <Badge status={job.status} />
          </p>
          <Progress done={job.processed} total={job.total} label="Validation progress" />
          {pollError !== undefined && <Notice>{pollError}</Notice>}
          {job.counts !== undefined && (
            <p>
              {Object.entries(job.counts)
                .map(([k, v]) => `${k}: ${v}`)
                .join(', ')}
            </p>
          )}
          {job.status === 'completed' && (
            <button
              type="button"
              disabled={download.busy}
              onClick={() =>
                void download.run(async () => {
                  const blob = await api.blob(`/api/validate/jobs/${job.job_id}/results.csv`);
                  const url = URL.createObjectURL(blob);
                  const a = document.createElement('a');
                  a.href = url;
                  a.download = `validation-${job.job_id}.csv`;
                  a.click();
                  setTimeout(() => URL.revokeObjectURL(url), 10_000);
                })
              }
            >
              Download the results (CSV)
            </button>
          )}
          <ActionResult action={download} />
        </div>
      )}
    </section>
  );
}
