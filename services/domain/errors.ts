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

/** Recipients whose domains cannot receive mail (VALIDATION_POLICY accept), each with its field and reason. */
export class RecipientUndeliverableError extends DomainError {
  override readonly name = 'RecipientUndeliverableError';
  constructor(readonly recipients: readonly { readonly field: string; readonly reason: string }[]) {
    super('Some recipients cannot receive mail: their domains do not exist or accept no mail.');
  }
}
