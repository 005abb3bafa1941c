import express, { type Request, type RequestHandler } from 'express';
import { Problem } from '../platform/errors';

/** What a plain HTML `<form method="post">` sends. */
export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

const PREFLIGHT_MAX_AGE_S = 600;
const ALLOWED_REQUEST_HEADERS = ['content-type', 'idempotency-key', 'x-request-id'];
const EXPOSED_HEADERS = ['RateLimit', 'RateLimit-Policy', 'Retry-After', 'Idempotent-Replayed', 'X-Request-Id'];

/** The contact form's body when it comes from an HTML form; repeated or nested fields stay unparsed strings. */
export function formBody(limit: string): RequestHandler {
  return express.urlencoded({ extended: false, limit, parameterLimit: 20, type: FORM_CONTENT_TYPE });
}

/** True when the request was a plain HTML form post, which expects a page rather than JSON. */
export function isFormPost(req: Request): boolean {
  return req.is(FORM_CONTENT_TYPE) === FORM_CONTENT_TYPE;
}

/** `https://example.com/` → `https://example.com`; undefined for anything but an http(s) origin. */
function originOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

export interface ContactCors {
  /** OPTIONS /api/contact: the browser's preflight. */
  readonly preflight: RequestHandler;
  /** On the POST itself: CORS headers for an allowed origin, 403 for a foreign one. */
  readonly actual: RequestHandler;
}

/**
 * CORS for the public contact form, limited to CONTACT_ALLOWED_ORIGINS (`*` allows any).
 * With an empty list no browser on another origin may read the answer. With a list, a post
 * whose Origin is not on it is refused outright: a plain form post needs no preflight, so
 * CORS headers alone would not keep other sites from submitting through their visitors.
 */
export function contactCors(allowedOrigins: readonly string[]): ContactCors {
  const anyOrigin = allowedOrigins.includes('*');
  const allowed = new Set(allowedOrigins.map(originOf).filter((origin): origin is string => origin !== undefined));
  const isAllowed = (origin: string) => anyOrigin || allowed.has(origin);
  const enforced = anyOrigin || allowed.size > 0;

  const preflight: RequestHandler = (req, res) => {
    res.vary('Origin').vary('Access-Control-Request-Method').vary('Access-Control-Request-Headers');
    res.setHeader('Allow', 'POST, GET, HEAD, OPTIONS');
    const origin = req.header('origin');
    const method = req.header('access-control-request-method');
    const requested = (req.header('access-control-request-headers') ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== '');
    const headersOk = requested.every((name) => ALLOWED_REQUEST_HEADERS.includes(name));
    // Anything not allowed gets a bare 204: without the Allow-Origin header the browser stops there.
    if (origin !== undefined && isAllowed(origin) && method === 'POST' && headersOk) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Methods', 'POST');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_REQUEST_HEADERS.join(', '));
      res.setHeader('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_S));
    }
    res.status(204).end();
  };

  const actual: RequestHandler = (req, res, next) => {
    res.vary('Origin');
    const origin = req.header('origin');
    if (origin === undefined) return next();
    if (isAllowed(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS.join(', '));
      return next();
    }
    if (enforced) return next(new Problem(403, 'Forbidden', 'This origin may not post the contact form.'));
    next();
  };

  return { preflight, actual };
}

interface RedirectRule {
  readonly origin: string;
  /** Undefined when the rule names a whole origin. */
  readonly pathname?: string;
}

function toRule(entry: string): RedirectRule | undefined {
  try {
    const url = new URL(entry);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    // `https://example.com` and `https://example.com/` both name the whole site.
    const wholeOrigin = url.pathname === '/' && url.search === '' && url.hash === '';
    return wholeOrigin ? { origin: url.origin } : { origin: url.origin, pathname: url.pathname };
  } catch {
    return undefined;
  }
}

/**
 * Decides where a form post may be sent after it is accepted. The `redirect` field is only
 * followed when it is an absolute http(s) URL without credentials whose origin (for an
 * origin entry) or origin and path (for a URL entry) is in CONTACT_REDIRECT_ALLOWLIST;
 * anything else answers JSON. Never an open redirect.
 */
export function redirectPolicy(allowlist: readonly string[]): (redirect: unknown) => string | undefined {
  const rules = allowlist.map(toRule).filter((rule): rule is RedirectRule => rule !== undefined);
  return (redirect) => {
    if (typeof redirect !== 'string' || redirect.length === 0 || redirect.length > 2048) return undefined;
    let url: URL;
    try {
      url = new URL(redirect);
    } catch {
      return undefined;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    if (url.username !== '' || url.password !== '') return undefined;
    const allowed = rules.some((rule) => rule.origin === url.origin && (rule.pathname === undefined || rule.pathname === url.pathname));
    // The serialised URL is ASCII with no whitespace, so it is safe in a Location header.
    return allowed ? url.href : undefined;
  };
}
