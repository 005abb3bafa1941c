import {
  ConflictError,
  EmailNotVerifiedError,
  ForbiddenError,
  IdempotencyKeyReusedError,
  InvalidCredentialsError,
  InvalidFieldsError,
  InvalidSignatureError,
  InvalidStateError,
  MalformedBodyError,
  NotConfiguredError,
  NotFoundError,
  SenderNotAllowedError,
  TemporarilyUnavailableError,
  TooManyAttemptsError,
  RecipientUndeliverableError,
  MissingVariablesError,
  TemplateRenderError,
  TemplateInvalidError,
  UnstorableValueError,
} from './domain/errors';
import { Problem } from './platform/errors';

/** The HTTP answer to each domain error (DESIGN section 4): the only place that picks their statuses. */
export function problemOfDomainError(error: unknown): Problem | undefined {
  if (error instanceof NotFoundError) return new Problem(404, 'Not Found', error.message);
  if (error instanceof InvalidStateError || error instanceof ConflictError) return new Problem(409, 'Conflict', error.message);
  if (error instanceof InvalidCredentialsError) return new Problem(401, 'Unauthorized', error.message, {}, { 'WWW-Authenticate': 'Bearer realm="herald"' });
  if (error instanceof EmailNotVerifiedError) return new Problem(403, 'Email Not Verified', error.message);
  if (error instanceof SenderNotAllowedError) return new Problem(403, 'Sender Not Allowed', error.message, { errors: [{ field: 'from', message: error.message }] });
  if (error instanceof InvalidFieldsError) return new Problem(422, 'Unprocessable Content', error.message, { errors: error.errors });
  if (error instanceof TooManyAttemptsError) {
    return new Problem(429, 'Too Many Requests', error.message, { retry_after: error.retryAfterS }, { 'Retry-After': String(error.retryAfterS) });
  }
  if (error instanceof MalformedBodyError) return new Problem(400, 'Bad Request', error.message);
  if (error instanceof InvalidSignatureError) return new Problem(401, 'Unauthorized', error.message);
  if (error instanceof TemporarilyUnavailableError) {
    return new Problem(503, 'Service Unavailable', error.message, {}, { 'Retry-After': String(error.retryAfterS) });
  }
  if (error instanceof NotConfiguredError) return new Problem(503, 'Service Unavailable', error.message, { variable: error.variable });
  if (error instanceof ForbiddenError) return new Problem(403, 'Forbidden', error.message);
  if (error instanceof IdempotencyKeyReusedError) return new Problem(422, 'Idempotency Key Reused', error.message);
  if (error instanceof UnstorableValueError) {
    return new Problem(422, 'Unprocessable Content', error.message, { errors: [{ field: '(body)', message: error.message }] });
  }
  if (error instanceof RecipientUndeliverableError) {
    const errors = error.recipients.map((r) => ({ field: r.field, message: `undeliverable: ${r.reason}` }));
    return new Problem(422, 'Recipient Undeliverable', error.message, { error_class: 'recipient_undeliverable', errors });
  }
  if (error instanceof MissingVariablesError) {
    return new Problem(422, 'Unprocessable Content', error.message, {
      missing: error.variables,
      errors: error.variables.map((name) => ({ field: `variables.${name}`, message: 'is used by the template but was not given' })),
    });
  }
  if (error instanceof TemplateInvalidError) {
    return new Problem(422, 'Unprocessable Content', error.message, {
      errors: error.issues.map((issue) => ({ field: issue.part, line: issue.line ?? null, message: issue.message })),
    });
  }
  if (error instanceof TemplateRenderError) {
    return new Problem(422, 'Unprocessable Content', `The template could not be rendered: ${error.message}.`, { errors: [{ field: 'variables', message: error.message }] });
  }
  return undefined;
}
