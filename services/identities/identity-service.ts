import { randomUUID } from 'node:crypto';
import { tokenHash, verificationCode } from '../accounts/tokens';
import { ConflictError, InvalidFieldsError, InvalidStateError, NotFoundError } from '../domain/errors';
import { checkedAddressOf, type IdentitySmtp } from '../mail/identity-transports';
import { ProviderError } from '../mail/providers/mail-provider';
import { checkSmtpLogin, type SmtpCheckResult } from '../mail/smtp-check';
import type { Config } from '../platform/config';
import { KeyringError } from '../platform/crypto';
import type { IdentityCredentials } from './identity-credentials';
import type { IdentityChanges, IdentityOwner, IdentityRepository, SendableIdentity } from './identity-repository';
import type { IdentityVerificationMailer } from './identity-verification-mail';
import type { AdminCreateIdentity, AdminPatchIdentity, CheckResultView, IdentityView } from './schema';
import type { IdentityRow } from './tables';
import { isAccountIdentity, isVerified, toIdentityView } from './views';

/** Identities one user may have, the account email included. */
const MAX_IDENTITIES = 20;
const CODE_TTL_MS = 24 * 3600 * 1000;

export type IdentityConfig = Pick<Config, 'smtpAllowPrivateHosts'>;

/** Who asks: the user itself, or an admin acting for it (who may mark an identity verified). */
export interface Actor {
  readonly admin: boolean;
}

type SmtpFields = Omit<IdentitySmtp, 'password'> & { readonly password?: string };

const SMTP_CLEARED: IdentityChanges = { smtp_host: null, smtp_port: null, smtp_security: null, smtp_username: null, smtp_password: null, key_id: null };

/** A user's sender identities (accounts.md, "Sender identities"): the addresses it may send as, with their own SMTP servers. */
export class IdentityService {
  constructor(
    private readonly identities: IdentityRepository,
    private readonly credentials: IdentityCredentials,
    private readonly mailer: IdentityVerificationMailer,
    private readonly config: IdentityConfig,
    /** The connection check; tests of the service may give their own budget. */
    private readonly checkLogin: (smtp: IdentitySmtp) => Promise<SmtpCheckResult> = (smtp) => checkSmtpLogin(smtp, { allowPrivate: config.smtpAllowPrivateHosts }),
  ) {}

  private async owner(userId: string): Promise<IdentityOwner> {
    const owner = await this.identities.owner(userId);
    if (owner === undefined) throw new NotFoundError('No user with this id.');
    return owner;
  }

  private async row(userId: string, id: string): Promise<IdentityRow> {
    const row = await this.identities.find(userId, id);
    if (row === undefined) throw new NotFoundError('No identity with this id.');
    return row;
  }

  /** GET …/identities. */
  async list(userId: string): Promise<{ results: IdentityView[] }> {
    const owner = await this.owner(userId);
    return { results: (await this.identities.listOf(userId)).map((row) => toIdentityView(row, owner)) };
  }

  /** The identities of a profile (GET /api/me). */
  async viewsOf(userId: string): Promise<IdentityView[]> {
    return (await this.list(userId)).results;
  }

  /** What deciding a message's From needs: one query, only for a user's sends. */
  sendable(userId: string): Promise<SendableIdentity[]> {
    return this.identities.sendable(userId);
  }

  async get(userId: string, id: string): Promise<IdentityView> {
    const [owner, row] = await Promise.all([this.owner(userId), this.row(userId, id)]);
    return toIdentityView(row, owner);
  }

  /** POST …/identities: the SMTP password sealed, the host checked, a code mailed to the address (unless an admin creates it verified). */
  async create(userId: string, input: AdminCreateIdentity, actor: Actor): Promise<IdentityView> {
    const owner = await this.owner(userId);
    if ((await this.identities.countOf(userId)) >= MAX_IDENTITIES) throw new InvalidStateError(`A user has at most ${MAX_IDENTITIES} identities; delete one first.`);
    const id = randomUUID();
    const now = new Date();
    const verified = actor.admin && input.verified === true;
    if (input.is_default === true && !verified) throw new InvalidFieldsError([{ field: 'is_default', message: 'only a verified identity can be the default; verify it first' }]);
    const smtp = input.smtp === undefined || input.smtp === null ? {} : await this.smtpColumns(id, input.smtp, undefined);
    const code = verified ? undefined : verificationCode();
    const created = await this.identities.create(
      {
        id,
        user_id: userId,
        address: input.address,
        display_name: input.display_name ?? null,
        is_default: input.is_default === true,
        ...smtp,
        verified_at: verified ? now : null,
        ...(code === undefined ? {} : { verify_code_hash: tokenHash(code), verify_expires_at: new Date(now.getTime() + CODE_TTL_MS) }),
      },
      now,
    );
    if (created === 'taken') throw new ConflictError('This address is already one of the user’s identities.');
    if (created === 'busy') throw new ConflictError('Another request changed the default identity at the same time; try again.');
    if (code !== undefined) await this.mailer.send(created, owner.name, code, tokenHash(code), now);
    return toIdentityView(created, owner);
  }

  /** PATCH …/identities/:id. A new address is verified again; new SMTP settings are checked and sealed. */
  async update(userId: string, id: string, input: AdminPatchIdentity, actor: Actor): Promise<IdentityView> {
    const [owner, row] = await Promise.all([this.owner(userId), this.row(userId, id)]);
    const isAccount = isAccountIdentity(row, owner);
    const now = new Date();
    const changes: IdentityChanges & { is_default?: true } = {};
    let code: string | undefined;
    if (input.display_name !== undefined) changes.display_name = input.display_name;
    if (input.address !== undefined && input.address.toLowerCase() !== row.address.toLowerCase()) {
      if (isAccount) throw new InvalidFieldsError([{ field: 'address', message: 'is the account’s own email; add another identity instead' }]);
      code = verificationCode();
      Object.assign(changes, { address: input.address, verified_at: null, verify_code_hash: tokenHash(code), verify_expires_at: new Date(now.getTime() + CODE_TTL_MS) });
    } else if (input.address !== undefined) {
      changes.address = input.address;
    }
    if (input.verified !== undefined) {
      if (!actor.admin) throw new InvalidFieldsError([{ field: 'verified', message: 'only an admin marks an identity verified' }]);
      if (isAccount) throw new InvalidFieldsError([{ field: 'verified', message: 'the account email is verified with the account (PATCH /api/admin/users/:id)' }]);
      changes.verified_at = input.verified ? (row.verified_at ?? now) : null;
    }
    if (input.smtp === null) Object.assign(changes, SMTP_CLEARED);
    else if (input.smtp !== undefined) Object.assign(changes, await this.smtpColumns(id, this.mergedSmtp(row, input.smtp), row));
    if (input.is_default === true && !row.is_default) {
      const addressReset = code !== undefined;
      const willBeVerified = changes.verified_at !== undefined ? changes.verified_at !== null : !addressReset && isVerified(row, owner);
      if (!willBeVerified) throw new InvalidFieldsError([{ field: 'is_default', message: 'only a verified identity can be the default; verify it first' }]);
      changes.is_default = true;
    }
    if (input.is_default === false && row.is_default) throw new InvalidFieldsError([{ field: 'is_default', message: 'make another identity the default instead' }]);
    const updated = await this.identities.update(userId, id, changes, now);
    if (updated === 'taken') throw new ConflictError('This address is already one of the user’s identities.');
    if (updated === 'busy') throw new ConflictError('Another request changed the default identity at the same time; try again.');
    if (updated === undefined) throw new NotFoundError('No identity with this id.');
    if (code !== undefined) await this.mailer.send(updated, owner.name, code, tokenHash(code), now);
    return toIdentityView(updated, owner);
  }

  /** DELETE …/identities/:id: any but the account's own email; the account email becomes the default again if this one was. */
  async remove(userId: string, id: string): Promise<void> {
    const [owner, row] = await Promise.all([this.owner(userId), this.row(userId, id)]);
    if (isAccountIdentity(row, owner)) throw new InvalidStateError('The account’s own email is its first identity and cannot be removed.');
    await this.identities.delete(userId, id, owner.email);
  }

  /** POST …/identities/:id/verify: the code mailed to the address (any case, spaces and dashes ignored). */
  async verify(userId: string, id: string, code: string): Promise<IdentityView> {
    const [owner, row] = await Promise.all([this.owner(userId), this.row(userId, id)]);
    if (isVerified(row, owner)) return toIdentityView(row, owner);
    const used = await this.identities.consumeCode(userId, id, tokenHash(code.replace(/[\s-]+/g, '').toUpperCase()), new Date());
    if (used === undefined) throw new InvalidFieldsError([{ field: 'code', message: 'is unknown, used or expired' }]);
    return toIdentityView(used, owner);
  }

  /**
   * POST …/identities/:id/check: connects to the identity's server and logs in (10 s budget),
   * records the outcome and answers it; success verifies the identity (the server accepting the
   * credentials proves the mailbox is the user's).
   */
  async check(userId: string, id: string): Promise<CheckResultView> {
    const row = await this.row(userId, id);
    if (row.smtp_host === null || row.smtp_port === null || row.smtp_security === null || row.smtp_username === null || row.smtp_password === null || row.key_id === null) {
      throw new InvalidStateError('This identity has no SMTP settings to check.');
    }
    this.credentials.assertConfigured();
    let result: SmtpCheckResult;
    try {
      const password = this.credentials.open(row.id, { smtp_password: row.smtp_password, key_id: row.key_id });
      result = await this.checkLogin({ host: row.smtp_host, port: row.smtp_port, security: row.smtp_security, username: row.smtp_username, password });
    } catch (error) {
      if (!(error instanceof KeyringError)) throw error;
      result = { ok: false, error_class: 'credentials', detail: 'The stored password cannot be opened with CREDENTIALS_KEYS; save the SMTP settings again.' };
    }
    await this.identities.recordCheck(row.id, result, new Date());
    return { ok: result.ok, error_class: result.error_class, detail: result.detail };
  }

  /** The stored SMTP settings with a patch applied; the password may stay only while host, port and username do. */
  private mergedSmtp(row: IdentityRow, patch: Partial<IdentitySmtp>): SmtpFields {
    const current =
      row.smtp_host === null || row.smtp_port === null || row.smtp_security === null || row.smtp_username === null
        ? undefined
        : { host: row.smtp_host, port: row.smtp_port, security: row.smtp_security, username: row.smtp_username };
    const merged = { host: patch.host ?? current?.host, port: patch.port ?? current?.port, security: patch.security ?? current?.security, username: patch.username ?? current?.username };
    const missing = (Object.keys(merged) as (keyof typeof merged)[]).filter((key) => merged[key] === undefined);
    if (missing.length > 0) throw new InvalidFieldsError(missing.map((key) => ({ field: `smtp.${key}`, message: 'is required' })));
    const { host, port, security, username } = merged as Omit<IdentitySmtp, 'password'>;
    const sameServer = current !== undefined && current.host === host && current.port === port && current.username === username;
    if (!sameServer && patch.password === undefined) {
      throw new InvalidFieldsError([{ field: 'smtp.password', message: 'is required with a new host, port or username' }]);
    }
    return { host, port, security, username, ...(patch.password === undefined ? {} : { password: patch.password }) };
  }

  /** The SMTP columns for settings: security allowed, host and port checked by the SSRF guard, the password sealed. */
  private async smtpColumns(id: string, smtp: SmtpFields, existing: Pick<IdentityRow, 'smtp_password' | 'key_id'> | undefined): Promise<IdentityChanges> {
    if (smtp.security === 'none' && !this.config.smtpAllowPrivateHosts) {
      throw new InvalidFieldsError([{ field: 'smtp.security', message: 'must be tls or starttls (none only with SMTP_ALLOW_PRIVATE_HOSTS)' }]);
    }
    // 503 naming the variable before anything else: without a key nothing can be saved.
    this.credentials.assertConfigured();
    try {
      await checkedAddressOf(smtp, this.config.smtpAllowPrivateHosts);
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      const reason = error.message.replace(/^unsafe-address: /, '');
      const field = reason.startsWith('port ') ? 'smtp.port' : 'smtp.host';
      throw new InvalidFieldsError([{ field, message: `is refused: ${reason}; identities' SMTP servers must be on public addresses` }]);
    }
    const sealed =
      smtp.password !== undefined
        ? this.credentials.seal(id, smtp.password)
        : existing !== undefined && existing.smtp_password !== null && existing.key_id !== null
          ? { smtp_password: existing.smtp_password, key_id: existing.key_id }
          : undefined;
    if (sealed === undefined) throw new InvalidFieldsError([{ field: 'smtp.password', message: 'is required' }]);
    return { smtp_host: smtp.host, smtp_port: smtp.port, smtp_security: smtp.security, smtp_username: smtp.username, ...sealed };
  }
}
