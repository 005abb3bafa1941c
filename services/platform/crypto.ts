import { createCipheriv, createDecipheriv, createPublicKey, type KeyObject, randomBytes } from 'node:crypto';
import { NotConfiguredError } from '../domain/errors';
import type { Config } from './config';

/**
 * Secrets at rest (accounts.md, webhooks.md): AES-256-GCM with a random 96-bit nonce, keys from
 * CREDENTIALS_KEYS (`kid:base64-32-bytes,…`); the first key encrypts, every key decrypts. The
 * caller names what a ciphertext belongs to (a row id) as additional data, so a ciphertext copied
 * onto another row does not decrypt.
 */

const KEY_ID = /^[A-Za-z0-9._-]{1,32}$/;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A ciphertext as stored: the key that made it and `nonce.ciphertext.tag` in base64. */
export interface Sealed {
  readonly keyId: string;
  readonly ciphertext: string;
}

export class KeyringError extends Error {
  override readonly name = 'KeyringError';
}

/** Parses `kid:base64,…`; throws a message naming what is wrong (never the key itself). */
export function parseKeyring(value: string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const entry of value.split(',').map((item) => item.trim()).filter((item) => item.length > 0)) {
    const colon = entry.indexOf(':');
    const kid = colon < 0 ? '' : entry.slice(0, colon);
    if (!KEY_ID.test(kid)) throw new KeyringError('each key must be "kid:base64-of-32-bytes" with a kid of letters, digits, ".", "_" or "-"');
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== 32) throw new KeyringError(`key "${kid}" is not base64 of 32 bytes`);
    if (keys.has(kid)) throw new KeyringError(`key id "${kid}" appears twice`);
    keys.set(kid, key);
  }
  return keys;
}

export class Keyring {
  readonly #keys: Map<string, Buffer>;
  readonly #current: string;

  constructor(keys: Map<string, Buffer>) {
    const first = keys.keys().next();
    if (first.done === true) throw new KeyringError('a keyring needs at least one key');
    this.#keys = keys;
    this.#current = first.value;
  }

  /** The key id new ciphertexts are made with. */
  get currentKeyId(): string {
    return this.#current;
  }

  seal(plaintext: string, additionalData: string): Sealed {
    const key = this.#keys.get(this.#current) as Buffer;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(Buffer.from(`${additionalData}|${this.#current}`));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: this.#current, ciphertext: Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64') };
  }

  /** Throws a KeyringError when the key is unknown or the ciphertext or its additional data was altered. */
  open(sealed: Sealed, additionalData: string): string {
    const key = this.#keys.get(sealed.keyId);
    if (key === undefined) throw new KeyringError(`no key "${sealed.keyId}" in CREDENTIALS_KEYS`);
    const raw = Buffer.from(sealed.ciphertext, 'base64');
    if (raw.length < NONCE_BYTES + TAG_BYTES) throw new KeyringError('ciphertext too short');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, NONCE_BYTES));
      decipher.setAAD(Buffer.from(`${additionalData}|${sealed.keyId}`));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new KeyringError('ciphertext does not decrypt with its key and additional data');
    }
  }
}

/** CREDENTIALS_KEYS as a keyring taken when needed: taking it while the variable is unset is NotConfiguredError naming it (a 503). */
export function credentialsKeyring(config: Pick<Config, 'credentialsKeys'>): () => Keyring {
  const keyring = config.credentialsKeys === undefined ? undefined : new Keyring(new Map(config.credentialsKeys));
  return () => {
    if (keyring === undefined) throw new NotConfiguredError('CREDENTIALS_KEYS');
    return keyring;
  };
}

/**
 * An ECDSA P-256 public key from its text: PEM, or the bare base64 of its DER SubjectPublicKeyInfo
 * (how SendGrid shows its Event Webhook verification key). Throws a KeyringError saying what is wrong.
 */
export function p256PublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  let key: KeyObject;
  try {
    key = trimmed.includes('-----BEGIN')
      ? createPublicKey(trimmed)
      : createPublicKey({ key: Buffer.from(trimmed.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw new KeyringError('is not a public key in PEM or base64 DER (SubjectPublicKeyInfo)');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new KeyringError('is not an ECDSA P-256 public key');
  }
  return key;
}
