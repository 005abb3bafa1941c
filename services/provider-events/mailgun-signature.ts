import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidSignatureError } from '../domain/errors';

/** How old (or how far ahead) a Mailgun timestamp may be. */
export const MAILGUN_MAX_AGE_S = 5 * 60;

/**
 * Checks Mailgun's webhook signature: HMAC-SHA256 of timestamp + token under the signing key, as
 * hex, on a timestamp at most five minutes from now. Reused tokens are the ReplayGuard's part.
 */
export class MailgunSignature {
  constructor(
    private readonly signingKey: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws InvalidSignatureError unless the signature holds and the timestamp is fresh. */
  verify(signature: { readonly timestamp: string; readonly token: string; readonly signature: string }): void {
    const expected = createHmac('sha256', this.signingKey).update(signature.timestamp + signature.token).digest();
    const given = Buffer.from(signature.signature, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new InvalidSignatureError('The signature does not match; nothing was recorded.');
    }
    const ageS = Math.abs(this.now() / 1000 - Number(signature.timestamp));
    if (!(ageS <= MAILGUN_MAX_AGE_S)) {
      throw new InvalidSignatureError(`The signature's timestamp is more than ${MAILGUN_MAX_AGE_S / 60} minutes from now; nothing was recorded.`);
    }
  }
}
