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

/** A login, refresh or verification presented credentials that do not hold. */
export class InvalidCredentialsError extends DomainError {
  override readonly name = 'InvalidCredentialsError';
}

/** Too many tries in a window; `retryAfterS` says when the next one may succeed. */
export class TooManyAttemptsError extends DomainError {
  override readonly name = 'TooManyAttemptsError';
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(message);
  }
}

/** The feature needs a setting the operator has not made; `variable` names it. */
export class NotConfiguredError extends DomainError {
  override readonly name = 'NotConfiguredError';
  constructor(readonly variable: string) {
    super(`This feature needs ${variable} to be set.`);
  }
}

/** A user who has not verified their email address tried to send. */
export class EmailNotVerifiedError extends DomainError {
  override readonly name = 'EmailNotVerifiedError';
  constructor() {
    super('Verify your email address before sending: follow the link or paste the code from the verification mail.');
  }
}

/** The requested From is not one of the caller's verified addresses. */
export class SenderNotAllowedError extends DomainError {
  override readonly name = 'SenderNotAllowedError';
  constructor(address: string) {
    super(`You may not send as ${address}: only your own verified address.`);
  }
}

/** Fields a service found invalid beyond what the schema can say (a weak password, a taken name). */
export class InvalidFieldsError extends DomainError {
  override readonly name = 'InvalidFieldsError';
  constructor(readonly errors: readonly { readonly field: string; readonly message: string }[]) {
    super('The request has invalid fields.');
  }
}

/** Recipients whose domains cannot receive mail (VALIDATION_POLICY accept), each with its field and reason. */
export class RecipientUndeliverableError extends DomainError {
  override readonly name = 'RecipientUndeliverableError';
  constructor(readonly recipients: readonly { readonly field: string; readonly reason: string }[]) {
    super('Some recipients cannot receive mail: their domains do not exist or accept no mail.');
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

/** A signed request (a provider's event webhook) whose signature is missing, wrong, stale or replayed. */
export class InvalidSignatureError extends DomainError {
  override readonly name = 'InvalidSignatureError';
}

/** A store the request needs did not answer in time; nothing was changed and trying later may work. */
export class TemporarilyUnavailableError extends DomainError {
  override readonly name = 'TemporarilyUnavailableError';
  constructor(
    message: string,
    readonly retryAfterS = 5,
  ) {
    super(message);
  }
}

/** A body that had to be read after its signature was checked, and is not what its media type says (not JSON). */
export class MalformedBodyError extends DomainError {
  override readonly name = 'MalformedBodyError';
}
