import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The id of the HTTP request in progress. Delivery jobs pass their job id to their log lines
 * directly: the context's promise hooks would cost a worker about a tenth of its CPU.
 */
export interface LogContext {
  readonly reqId?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `work` so that every log line written meanwhile, however deep, carries these ids. */
export function withLogContext<T>(context: LogContext, work: () => T): T {
  return storage.run(context, work);
}

/** The id of the request being handled (pino's mixin), or nothing outside one. */
export function logContext(): LogContext {
  return storage.getStore() ?? {};
}
