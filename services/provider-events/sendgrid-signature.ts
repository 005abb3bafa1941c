import { type KeyObject, verify } from 'node:crypto';
import { InvalidSignatureError } from '../domain/errors';
import { p256PublicKey } from '../platform/crypto';

/** SendGrid's Signed Event Webhook headers. */
export const SENDGRID_SIGNATURE_HEADER = 'X-Twilio-Email-Event-Webhook-Signature';
export const SENDGRID_TIMESTAMP_HEADER = 'X-Twilio-Email-Event-Webhook-Timestamp';

/**
 * Checks SendGrid's Event Webhook signature: ECDSA P-256 with SHA-256 over the timestamp header
 * followed by the raw body, base64 DER in the signature header (what @sendgrid/eventwebhook checks).
 */
export class SendgridSignature {
  readonly #key: KeyObject;

  constructor(publicKey: string) {
    this.#key = p256PublicKey(publicKey);
  }

  /** Throws InvalidSignatureError unless `signature` signs `timestamp` + `body`. */
  verify(timestamp: string | undefined, signature: string | undefined, body: Buffer): void {
    if (timestamp === undefined || signature === undefined || timestamp === '' || signature === '') {
      throw new InvalidSignatureError(`The request is not signed: send ${SENDGRID_SIGNATURE_HEADER} and ${SENDGRID_TIMESTAMP_HEADER}.`);
    }
    let valid = false;
    try {
      valid = verify('sha256', Buffer.concat([Buffer.from(timestamp, 'utf8'), body]), { key: this.#key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
    } catch {
      // A signature that is not DER at all: as wrong as one that does not verify.
    }
    if (!valid) throw new InvalidSignatureError('The signature does not match the body; nothing was recorded.');
  }
}
