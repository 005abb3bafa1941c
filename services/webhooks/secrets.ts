import type { Config } from '../platform/config';
import { credentialsKeyring, type Keyring } from '../platform/crypto';
import type { WebhookEndpointRow } from './tables';

/** Additional data binding a sealed secret to its endpoint (and to its slot). */
const aad = (endpointId: string, slot: 'current' | 'previous') => `webhook_endpoints:${endpointId}:${slot}`;

/** Seals and opens endpoint secrets with CREDENTIALS_KEYS; without it, webhooks answer 503. */
export class WebhookSecrets {
  readonly #ring: () => Keyring;

  constructor(config: Pick<Config, 'credentialsKeys'>) {
    this.#ring = credentialsKeyring(config);
  }

  seal(endpointId: string, secret: string): { secret_ciphertext: string; secret_key_id: string } {
    const sealed = this.#ring().seal(secret, aad(endpointId, 'current'));
    return { secret_ciphertext: sealed.ciphertext, secret_key_id: sealed.keyId };
  }

  /** The key new ciphertexts are sealed with. */
  get currentKeyId(): string {
    return this.#ring().currentKeyId;
  }

  /** The row's secrets sealed again under the current key (`herald credentials rotate`). */
  resealed(row: Pick<WebhookEndpointRow, 'id' | 'secret_ciphertext' | 'secret_key_id' | 'previous_secret_ciphertext' | 'previous_secret_key_id'>) {
    const ring = this.#ring();
    const again = (keyId: string, ciphertext: string) => ring.seal(ring.open({ keyId, ciphertext }, aad(row.id, 'current')), aad(row.id, 'current'));
    const current = again(row.secret_key_id, row.secret_ciphertext);
    const previous = row.previous_secret_ciphertext === null || row.previous_secret_key_id === null ? undefined : again(row.previous_secret_key_id, row.previous_secret_ciphertext);
    return {
      secret_ciphertext: current.ciphertext,
      secret_key_id: current.keyId,
      ...(previous === undefined ? {} : { previous_secret_ciphertext: previous.ciphertext, previous_secret_key_id: previous.keyId }),
    };
  }

  /** The secrets that sign now: the current one, and the previous one during a rotation's 24 h. */
  signingSecrets(row: WebhookEndpointRow, now = new Date()): string[] {
    const ring = this.#ring();
    const secrets = [ring.open({ keyId: row.secret_key_id, ciphertext: row.secret_ciphertext }, aad(row.id, 'current'))];
    if (
      row.previous_secret_ciphertext !== null &&
      row.previous_secret_key_id !== null &&
      row.previous_secret_expires_at !== null &&
      row.previous_secret_expires_at.getTime() > now.getTime()
    ) {
      // Sealed as `current` when it was; kept under the same additional data.
      secrets.push(ring.open({ keyId: row.previous_secret_key_id, ciphertext: row.previous_secret_ciphertext }, aad(row.id, 'current')));
    }
    return secrets;
  }
}
