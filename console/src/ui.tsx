import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { progressPercent, statusTone } from './data';

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  /** The HTTP status of the failure, if any (404: the endpoint or the thing is not here). */
  readonly status: number | undefined;
  readonly loading: boolean;
  readonly reload: () => void;
}

/** Loads with `load` when `key` changes; failures become sentences. */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; status?: number; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    loadRef.current().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error: sentenceOf(error), status: error instanceof ApiError ? error.status : undefined, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, status: state.status, loading: state.loading, reload };
}

/** Calls `fn` every `ms` while mounted and `active`. */
export function useInterval(fn: () => void, ms: number, active = true): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    if (!active) return undefined;
    const id = setInterval(() => ref.current(), ms);
    return () => clearInterval(id);
  }, [ms, active]);
}

export function sentenceOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return 'Something went wrong in the console; reload the page and try again.';
}

export function Notice({ tone = 'error', children }: { tone?: 'error' | 'info' | 'success'; children: ComponentChildren }) {
  return (
    <p class={`notice ${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      {children}
    </p>
  );
}

/** What a page shows while loading, on failure, or when there is nothing yet. */
export function LoadState<T>({ loaded, missing, children }: { loaded: Loaded<T>; missing?: string; children: (data: T) => ComponentChildren }) {
  if (loaded.error !== undefined) {
    if (loaded.status === 404 && missing !== undefined) return <Notice tone="info">{missing}</Notice>;
    return <Notice>{loaded.error}</Notice>;
  }
  if (loaded.data === undefined) return <p class="muted">Loading…</p>;
  return <>{children(loaded.data)}</>;
}

export function Badge({ status }: { status: string }) {
  return <span class={`badge ${statusTone(status)}`} data-status={status}>{status}</span>;
}

export function Progress({ done, total, label }: { done: number; total: number; label: string }) {
  const percent = progressPercent(done, total);
  return (
    <div class="progress-wrap">
      <div class="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
        <div class="bar" style={{ width: `${percent}%` }} />
      </div>
      <span class="progress-text">
        {percent}% ({done} of {total})
      </span>
    </div>
  );
}

export function Field({ label, children, hint }: { label: string; children: ComponentChildren; hint?: string }) {
  return (
    <div class="field">
      <label>
        <span class="label">{label}</span>
        {children}
      </label>
      {hint !== undefined && <span class="hint">{hint}</span>}
    </div>
  );
}

/** A button whose action is async: disabled while it runs, with its error as a sentence. */
export function useAction(): { busy: boolean; error: string | undefined; done: string | undefined; run: (fn: () => Promise<string | void>) => Promise<void>; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const run = useCallback(async (fn: () => Promise<string | void>) => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      const message = await fn();
      if (typeof message === 'string') setDone(message);
    } catch (e) {
      setError(sentenceOf(e));
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => {
    setError(undefined);
    setDone(undefined);
  }, []);
  return { busy, error, done, run, clear };
}

export function ActionResult({ action }: { action: { error: string | undefined; done: string | undefined } }) {
  if (action.error !== undefined) return <Notice>{action.error}</Notice>;
  if (action.done !== undefined) return <Notice tone="success">{action.done}</Notice>;
  return null;
}

/** Html shown in a sandboxed frame: no scripts, no same-origin access, no forms. */
export function HtmlFrame({ html, title }: { html: string; title: string }) {
  return <iframe class="html-frame" title={title} sandbox="" srcdoc={html} referrerpolicy="no-referrer" />;
}

/** A table with its column headings (an empty heading for an actions column) and its rows. */
export function Table({ head, className, children }: { head: readonly string[]; className?: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table class={className}>
        <thead>
          <tr>
            {head.map((heading, i) => (
              <th key={i}>{heading === '' ? null : heading}</th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
