import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import { takeBodyBytes } from './body-budget';
import { Problem, badRequest, notFound } from './errors';
import { withLogContext } from './log-context';
import type { Logger } from './logger';

declare module 'express-serve-static-core' {
  interface Request {
    /** The request id (requestId()): from X-Request-Id when sane, otherwise a fresh UUID. */
    id: string;
  }
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Registers handlers on a path and answers 405 (with Allow) for any other method. */
export function route(router: Router, path: string, handlers: Partial<Record<Method, RequestHandler[]>>): void {
  const chain = router.route(path);
  const allowed: string[] = [];
  for (const [method, stack] of Object.entries(handlers) as [Method, RequestHandler[]][]) {
    chain[method](...stack);
    allowed.push(method.toUpperCase());
  }
  if (allowed.includes('GET')) allowed.push('HEAD');
  chain.all((req: Request, res: Response) => {
    res.setHeader('Allow', allowed.join(', '));
    sendProblem(res, new Problem(405, 'Method Not Allowed', `${req.method} is not allowed here; use ${allowed.join(', ')}.`), req);
  });
}

const BYTE_UNITS = { kb: 1024, mb: 1024 * 1024 } as const;
type ByteSize = `${number}${keyof typeof BYTE_UNITS}`;

function bytesOf(size: ByteSize): number {
  const [, count, unit] = /^(\d+)(kb|mb)$/.exec(size) ?? [];
  if (count === undefined || (unit !== 'kb' && unit !== 'mb')) throw new TypeError(`not a byte size: ${size}`);
  return Number(count) * BYTE_UNITS[unit];
}

const JSON_TYPES = ['application/json', 'application/*+json'];

/** JSON body parser with a route-specific size limit, drawing on the app's body budget (body-budget.ts). */
export function jsonBody(limit: ByteSize): RequestHandler {
  const parse = express.json({ limit, strict: true, type: JSON_TYPES });
  const limitBytes = bytesOf(limit);
  return (req, res, next) => {
    const isJson = req.is(JSON_TYPES);
    // JSON is UTF-8 (RFC 8259). Other charsets only open doors: UTF-7 turns `+ADw-` into `<`.
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(req.header('content-type') ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8' && isJson) {
      next(new Problem(415, 'Unsupported Media Type', `Send JSON as UTF-8, not ${charset}.`));
      return;
    }
    const refused = isJson ? takeBodyBytes(req, res, limitBytes) : undefined;
    if (refused !== undefined) {
      next(refused);
      return;
    }
    parse(req, res, next);
  };
}

/** Text body parser (a CSV upload) of the given media types, with a size limit, drawing on the body budget. */
export function textBody(limit: ByteSize, types: readonly string[]): RequestHandler {
  const parse = express.text({ limit, type: [...types], defaultCharset: 'utf-8' });
  const limitBytes = bytesOf(limit);
  return (req, res, next) => {
    const refused = req.is([...types]) ? takeBodyBytes(req, res, limitBytes) : undefined;
    if (refused !== undefined) {
      next(refused);
      return;
    }
    parse(req, res, next);
  };
}

/**
 * The body as the bytes sent (a Buffer in req.body), whatever its media type, with a size limit,
 * drawing on the body budget: for routes that check a signature over the exact bytes.
 */
export function rawBody(limit: ByteSize): RequestHandler {
  const parse = express.raw({ limit, type: () => true });
  const limitBytes = bytesOf(limit);
  return (req, res, next) => {
    const refused = takeBodyBytes(req, res, limitBytes);
    if (refused !== undefined) {
      next(refused);
      return;
    }
    parse(req, res, next);
  };
}

/** Rejects bodies that are not JSON (or one of `alsoAccept`) with 415. */
export function requireContentType(...alsoAccept: string[]): RequestHandler {
  const accepted = ['application/json', ...alsoAccept];
  return (req, _res, next) => {
    if (req.is(accepted) === false || req.is(accepted) === null) {
      next(new Problem(415, 'Unsupported Media Type', `Send the body as ${accepted.join(' or ')}.`));
      return;
    }
    next();
  };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Request id from `X-Request-Id` when it is sane, otherwise a fresh UUID; echoed back. */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const given = req.header('x-request-id');
    const id = given !== undefined && REQUEST_ID.test(given) ? given : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    // Everything the request does from here on logs with its id, services and repositories included.
    withLogContext({ reqId: id }, next);
  };
}

/**
 * One access-log line per request when it ends: id, method, path (never the query), status and
 * time; never headers or bodies. Written here rather than by pino-http, which built a child
 * logger and serialized every request even at levels that drop the line: about a quarter of the
 * api's CPU per accepted request under load (bench/README.md).
 */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    onResponseEnd(res, () => {
      const level = res.statusCode >= 500 ? 'error' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          reqId: req.id,
          req: { id: req.id, method: req.method, url: req.originalUrl.split('?')[0] },
          res: { statusCode: res.statusCode },
          responseTime: Math.round(performance.now() - started),
        },
        res.writableFinished ? 'request completed' : 'request aborted',
      );
    });
    next();
  };
}

/** Calls `done` once, when the answer has been sent or the connection closed before it was. */
export function onResponseEnd(res: Response, done: () => void): void {
  const end = () => {
    res.off('finish', end);
    res.off('close', end);
    done();
  };
  res.on('finish', end);
  res.on('close', end);
}

export function sendProblem(res: Response, problem: Problem, req?: Request): void {
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      type: problem.type,
      title: problem.title,
      status: problem.status,
      detail: problem.detail,
      instance: req?.originalUrl.split('?')[0],
      ...problem.extensions,
    });
}

const PG_UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '53300']);

/** True for errors that mean Postgres could not be reached, rather than a bug in a query. */
export function isDatabaseUnavailable(error: unknown): boolean {
  // Duck-typed, not `instanceof Error`: socket errors come from Node's own realm, which differs under a VM (jest).
  if (error === null || typeof error !== 'object') return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (PG_UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  return typeof message === 'string' && /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED/i.test(message);
}

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
  message?: string;
}

/** Turns the errors services raise into problems; undefined for errors it does not know. */
export type ProblemTranslator = (error: unknown) => Problem | undefined;

/** The one place internal errors become HTTP answers. */
export function errorHandler(logger: Logger, translate: ProblemTranslator = () => undefined): ErrorRequestHandler {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (error instanceof Problem) return sendProblem(res, error, req);
    const translated = translate(error);
    if (translated !== undefined) return sendProblem(res, translated, req);
    const parserError = error as BodyParserError;
    switch (parserError.type) {
      case 'entity.parse.failed':
        return sendProblem(res, badRequest('The body is not valid JSON.'), req);
      case 'entity.too.large':
        return sendProblem(res, new Problem(413, 'Content Too Large', 'The body exceeds the size allowed on this route.'), req);
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return sendProblem(res, new Problem(415, 'Unsupported Media Type', parserError.message ?? 'Unsupported encoding.'), req);
      case 'request.aborted':
        return sendProblem(res, badRequest('The request was aborted.'), req);
      case 'parameters.too.many':
        return sendProblem(res, new Problem(413, 'Content Too Large', 'Too many form fields.'), req);
    }
    // The router's own complaint about a path it cannot percent-decode (`/api/contact/%E0%A4%A`).
    if ((error as { name?: unknown } | null)?.name === 'URIError' && parserError.status === 400) {
      return sendProblem(res, badRequest('The path is not valid percent-encoded UTF-8.'), req);
    }
    if (typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500 && parserError.expose === true) {
      return sendProblem(res, new Problem(parserError.status, 'Bad Request', parserError.message ?? 'Bad request.'), req);
    }
    if (isDatabaseUnavailable(error)) {
      logger.error({ err: error, reqId: req.id }, 'database unavailable');
      res.setHeader('Retry-After', '5');
      return sendProblem(res, new Problem(503, 'Service Unavailable', 'The database is unavailable; nothing was stored. Try again shortly.'), req);
    }
    logger.error({ err: error, reqId: req.id }, 'unhandled error');
    return sendProblem(res, new Problem(500, 'Internal Server Error', 'Something went wrong on our side.'), req);
  };
}

/** 404 for every path no router claimed. */
export function notFoundHandler(): RequestHandler {
  return (req, _res, next) => next(notFound(`No route for ${req.method} ${req.path}.`));
}
