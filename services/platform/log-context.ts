import { AsyncLocalStorage } from 'node:async_hooks';

/** The ids of the unit of work in progress: an HTTP request or a delivery job. */
export interface LogContext {
  readonly reqId?: string;
  readonly jobId?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `work` so that every log line written meanwhile, however deep, carries these ids. */
export function withLogContext<T>(context: LogContext, work: () => T): T {
  return storage.run(context, work);
}

/** The ids of the request or job being handled (pino's mixin), or nothing outside one. */
export function logContext(): LogContext {
  return storage.getStore() ?? {};
}
