import type { Request, RequestHandler, Response } from 'express';
import { type Problem, serviceUnavailable } from './errors';

/** Seconds a client refused for want of body budget is asked to wait: parsing a 10 MB body takes a fraction of that. */
const RETRY_AFTER_SECONDS = 1;

const BUDGET = Symbol('herald.bodyBudget');
type WithBudget = Request & { [BUDGET]?: BodyBudget };

/**
 * How many request-body bytes one process reads, parses and handles at once. A parsed JSON
 * body takes several times its size in memory until its answer is sent, so twenty 10 MB
 * batches at once took the api past its 512 MiB limit (issue 19); past this many bytes
 * the api answers 503 with Retry-After rather than read another body.
 *
 * A body is always let in when nothing else is in flight, so one larger than the whole
 * budget is slow rather than refused forever.
 */
export class BodyBudget {
  #inFlight = 0;

  constructor(readonly maxBytes: number) {}

  /** Bytes taken by bodies whose answers have not ended yet. */
  get inFlightBytes(): number {
    return this.#inFlight;
  }

  /** Takes `bytes` if they fit; returns the function that gives them back, or undefined when they do not fit. */
  tryTake(bytes: number): (() => void) | undefined {
    const fits = this.#inFlight === 0 || this.#inFlight + bytes <= this.maxBytes;
    if (!fits) return undefined;
    this.#inFlight += bytes;
    let returned = false;
    return () => {
      if (returned) return;
      returned = true;
      this.#inFlight -= bytes;
    };
  }
}

/** Makes `budget` the one this app's body parsers (jsonBody) draw on. */
export function useBodyBudget(budget: BodyBudget): RequestHandler {
  return (req, _res, next) => {
    (req as WithBudget)[BUDGET] = budget;
    next();
  };
}

/**
 * Takes the bytes a body parser is about to read from the app's budget, until the answer
 * ends: the parsed body and what the handler builds from it live that long. The bytes are
 * the Content-Length (at most `limitBytes`; a longer body is refused by the parser unbuffered),
 * or `limitBytes` for a chunked body, whose size is known only once it has been read.
 * Returns the 503 to answer when they do not fit, with Retry-After set.
 */
export function takeBodyBytes(req: Request, res: Response, limitBytes: number): Problem | undefined {
  const budget = (req as WithBudget)[BUDGET];
  if (budget === undefined) return undefined;
  const declared = req.headers['content-length'];
  const bytes = declared === undefined ? limitBytes : Math.min(Number(declared), limitBytes);
  if (!(bytes > 0)) return undefined;
  const giveBack = budget.tryTake(bytes);
  if (giveBack === undefined) {
    res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    return serviceUnavailable(`The server is reading as many request bodies as it can hold at once; nothing was stored. Retry after ${RETRY_AFTER_SECONDS} s.`);
  }
  res.once('finish', giveBack);
  res.once('close', giveBack);
  return undefined;
}
