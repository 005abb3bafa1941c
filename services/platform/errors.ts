/** One field-level complaint in a 422 answer. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/**
 * An error a caller can cause or must be told about, already shaped as an
 * RFC 9457 problem. The HTTP edge (parsers, validation, auth) throws these; services raise
 * domain errors instead, which the error middleware translates.
 */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail?: string,
    readonly extensions: Readonly<Record<string, unknown>> = {},
    /** Response headers the answer needs (Retry-After, WWW-Authenticate). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail ?? title);
    this.name = 'Problem';
  }

  get detail(): string {
    return this.message;
  }

  /** The machine-readable problem type: a stable slug per status. */
  get type(): string {
    return `https://herald.dev/problems/${this.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  }
}

export const badRequest = (detail: string) => new Problem(400, 'Bad Request', detail);
export const unauthorized = (detail = 'A valid bearer token is required.') =>
  new Problem(401, 'Unauthorized', detail);
export const forbidden = (scope: string) =>
  new Problem(403, 'Forbidden', `This credential lacks the "${scope}" scope.`, { required_scope: scope });
export const notFound = (detail = 'No such resource.') => new Problem(404, 'Not Found', detail);
export const conflict = (detail: string) => new Problem(409, 'Conflict', detail);
export const serviceUnavailable = (detail: string) => new Problem(503, 'Service Unavailable', detail);
export const validationFailed = (errors: readonly FieldError[]) =>
  new Problem(422, 'Unprocessable Content', 'The request has invalid fields.', { errors });
