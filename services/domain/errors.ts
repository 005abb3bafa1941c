/**
 * What services raise when a request cannot be done. They say what went wrong in the domain's
 * words; the HTTP error middleware alone decides which status each one answers.
 */
export abstract class DomainError extends Error {}

/** No such thing, or not one the caller may see. */
export class NotFoundError extends DomainError {
  override readonly name = 'NotFoundError';
}

/** The thing is in a state that does not allow this (cancel a sent message, retry a queued one). */
export class InvalidStateError extends DomainError {
  override readonly name = 'InvalidStateError';
}

/** Another request changed the thing first; trying again may work. */
export class ConflictError extends DomainError {
  override readonly name = 'ConflictError';
}

/** The caller is known but may not do this. */
export class ForbiddenError extends DomainError {
  override readonly name = 'ForbiddenError';
}

/** An idempotency key used before with a different request. */
export class IdempotencyKeyReusedError extends DomainError {
  override readonly name = 'IdempotencyKeyReusedError';
  constructor() {
    super('This Idempotency-Key was already used with a different request body.');
  }
}

/** A value the store cannot keep, found only when storing it (each other request is stored). */
export class UnstorableValueError extends DomainError {
  override readonly name = 'UnstorableValueError';
  constructor() {
    super('The request holds a value that cannot be stored.');
  }
}

/** A template cannot be rendered with these values: too slow, too large, or a value that is not text. */
export class TemplateRenderError extends DomainError {
  override readonly name = 'TemplateRenderError';
}

/** A template's source that cannot be saved: each issue names its part, line and message. */
export class TemplateInvalidError extends DomainError {
  override readonly name = 'TemplateInvalidError';
  constructor(readonly issues: readonly { readonly part: string; readonly line?: number; readonly message: string }[]) {
    super('The template cannot be compiled.');
  }
}

/** A send with a template lacks variables the template needs; nothing was stored. */
export class MissingVariablesError extends DomainError {
  override readonly name = 'MissingVariablesError';
  constructor(readonly variables: readonly string[]) {
    super(`The template needs variables that were not given: ${variables.join(', ')}.`);
  }
}
