import { UUID_PATTERN } from '../domain/identifiers';
import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyRow } from './tables';
import type { ApiKeyRepository } from './api-key-repository';
import type { Scope } from './scopes';

export const API_KEY_PREFIX = 'hrld_';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface CreatedApiKey {
  /** The secret, shown once and never stored. */
  readonly key: string;
  readonly row: ApiKeyRow;
}

/** Key management used by the CLI (`herald keys …`). */
export class ApiKeyService {
  constructor(private readonly repository: ApiKeyRepository) {}

  async create(name: string, scopes: readonly Scope[]): Promise<CreatedApiKey> {
    const key = `${API_KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
    const row = await this.repository.insert({ name, prefix: key.slice(0, 12), hash: hashApiKey(key), scopes });
    return { key, row };
  }

  list(): Promise<ApiKeyRow[]> {
    return this.repository.list();
  }

  async revoke(id: string): Promise<boolean> {
    if (!UUID_PATTERN.test(id)) return false;
    return this.repository.revoke(id);
  }
}
