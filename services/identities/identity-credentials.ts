import type { Config } from '../platform/config';
import { credentialsKeyring, type Keyring } from '../platform/crypto';

/** Additional data binding a sealed password to its identity (the keyring adds the key id). */
const aad = (identityId: string) => `sender_identities:${identityId}`;

/** Seals and opens identities' SMTP passwords with CREDENTIALS_KEYS; without it, saving one is 503. */
export class IdentityCredentials {
  readonly #ring: () => Keyring;

  constructor(config: Pick<Config, 'credentialsKeys'>) {
    this.#ring = credentialsKeyring(config);
  }

  /** Throws NotConfiguredError('CREDENTIALS_KEYS') when no key is set. */
  assertConfigured(): void {
    this.#ring();
  }

  /** The key new ciphertexts are sealed with. */
  get currentKeyId(): string {
    return this.#ring().currentKeyId;
  }

  seal(identityId: string, password: string): { smtp_password: string; key_id: string } {
    const sealed = this.#ring().seal(password, aad(identityId));
    return { smtp_password: sealed.ciphertext, key_id: sealed.keyId };
  }

  /** Throws a KeyringError when the key is gone or the ciphertext was moved or altered. */
  open(identityId: string, sealed: { smtp_password: string; key_id: string }): string {
    return this.#ring().open({ keyId: sealed.key_id, ciphertext: sealed.smtp_password }, aad(identityId));
  }
}
