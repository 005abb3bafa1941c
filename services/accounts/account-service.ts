import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/scopes';
import { hasScope } from '../auth/scopes';
import {
  ConflictError,
  ForbiddenError,
  InvalidCredentialsError,
  InvalidFieldsError,
  NotConfiguredError,
  NotFoundError,
  TooManyAttemptsError,
} from '../domain/errors';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import type { Redis } from '../platform/redis';
import { verificationResendKey } from '../platform/redis-keys';
import type { LoginThrottle } from './login-throttle';
import { passwordProblem } from './password-policy';
import { decoyHash, hashPassword, verifyPassword } from './passwords';
import type { AdminCreateUser, AdminPatchUser, LoginRequest, PatchMeRequest, ProfileView, RegisterRequest, SessionResponse, TokenPair, UserView } from './schema';
import type { SessionRepository } from './session-repository';
import type { UserRow } from './tables';
import { opaqueToken, signAccessToken, tokenHash, verificationCode } from './tokens';
import type { UserChanges, UserRepository } from './user-repository';
import type { VerificationMailer } from './verification-mail';
import type { VerificationRepository } from './verification-repository';
import { toUserView } from './views';

const VERIFICATION_TTL_MS = 24 * 3600 * 1000;
/** Verification mails a user may ask for per hour (the first one, at registration, is free). */
const RESENDS_PER_HOUR = 3;

/** Where a request came from, kept with the session it opens. */
export interface ClientContext {
  readonly ip: string;
  readonly userAgent: string | null;
}

export type AccountsConfig = Pick<Config, 'jwtSecret' | 'accounts' | 'queuePrefix'>;

const BAD_LOGIN = 'The login or password is wrong.';

/**
 * Users and their sessions (accounts.md): register, verify, log in, refresh with rotation and
 * reuse detection, log out, the profile, and what admins do to users.
 */
export class AccountService {
  constructor(
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly verifications: VerificationRepository,
    private readonly mailer: VerificationMailer,
    private readonly throttle: LoginThrottle,
    private readonly redis: Redis,
    private readonly config: AccountsConfig,
    private readonly logger: Logger,
    /** The user's sender identities, for the profile (the account email first of them). */
    private readonly identitiesOf?: (userId: string) => Promise<ProfileView['identities']>,
  ) {
    // Made now, so the first unknown login takes no longer than a wrong password.
    decoyHash().catch((error: unknown) => logger.warn({ err: error }, 'decoy password hash not made'));
  }

  private secret(): string {
    if (this.config.jwtSecret === undefined) throw new NotConfiguredError('JWT_SECRET');
    return this.config.jwtSecret;
  }

  /** POST /api/auth/register: open to anyone when REGISTRATION=open, else to admins. */
  async register(principal: Principal, input: RegisterRequest, client: ClientContext): Promise<SessionResponse> {
    const secret = this.secret();
    if (this.config.accounts.registration !== 'open' && principal.via === 'public') {
      throw new InvalidCredentialsError('Registration is closed here: an admin creates accounts (REGISTRATION=closed); send an admin bearer token.');
    }
    if (this.config.accounts.registration !== 'open' && !hasScope(principal, 'admin')) {
      throw new ForbiddenError('Registration is closed here: an admin creates accounts (REGISTRATION=closed).');
    }
    const row = await this.createUser({ ...input, role: 'user', verified: false });
    return { user: toUserView(row), ...(await this.openSession(row, secret, randomUUID(), client)) };
  }

  /** Creates a user (checked password) and mails its verification code unless it starts verified. */
  private async createUser(input: AdminCreateUser): Promise<UserRow> {
    const weak = passwordProblem(input.password, input);
    if (weak !== undefined) throw new InvalidFieldsError([{ field: 'password', message: weak }]);
    const now = new Date();
    const created = await this.users.create(
      {
        username: input.username,
        email: input.email,
        displayName: input.display_name ?? null,
        passwordHash: await hashPassword(input.password),
        role: input.role,
        verified: input.verified,
      },
      now,
    );
    if ('taken' in created) throw new ConflictError(`This ${created.taken} is already taken.`);
    if (!input.verified) await this.sendVerification(created.row, now);
    return created.row;
  }

  private async sendVerification(user: UserRow, now: Date): Promise<void> {
    const code = verificationCode();
    const hash = tokenHash(code);
    await this.verifications.create({ tokenHash: hash, userId: user.id, email: user.email, expiresAt: new Date(now.getTime() + VERIFICATION_TTL_MS) }, now);
    await this.mailer.send(user, code, hash, now);
  }

  /** POST /api/auth/verify: the code from the mail (any case, spaces and dashes ignored) or the link's token. */
  async verify(token: string): Promise<{ verified: true }> {
    const code = token.replace(/[\s-]+/g, '').toUpperCase();
    const userId = await this.verifications.consume(tokenHash(code), new Date());
    if (userId === undefined) throw new InvalidFieldsError([{ field: 'token', message: 'is unknown, used or expired' }]);
    return { verified: true };
  }

  /** POST /api/auth/verify/resend: another code, a few times an hour. */
  async resendVerification(userId: string): Promise<{ sent: true }> {
    const user = await this.requireUser(userId);
    if (user.email_verified_at !== null) throw new ConflictError('This address is already verified.');
    const key = verificationResendKey(this.config.queuePrefix, user.id);
    const [[, count], [, ttl]] = ((await this.redis.multi().incr(key).pttl(key).exec()) ?? []) as [[unknown, number], [unknown, number]];
    if (ttl < 0) await this.redis.pexpire(key, 3600 * 1000);
    if (count > RESENDS_PER_HOUR) {
      throw new TooManyAttemptsError('Too many verification mails; wait before asking again.', Math.max(1, Math.ceil((ttl > 0 ? ttl : 3600_000) / 1000)));
    }
    await this.sendVerification(user, new Date());
    return { sent: true };
  }

  /**
   * POST /api/auth/login. An unknown login checks the password against a decoy hash, so it
   * takes as long as a wrong password and answers the same 401.
   */
  async login(input: LoginRequest, client: ClientContext): Promise<SessionResponse> {
    const secret = this.secret();
    const user = await this.users.findByLogin(input.login);
    const account = user?.id ?? input.login.toLowerCase();
    await this.throttle.check(account, client.ip);
    const matches = await verifyPassword(input.password, user?.password_hash ?? (await decoyHash()));
    if (user === undefined || !matches || user.disabled_at !== null) {
      await this.throttle.recordFailure(account, client.ip);
      throw new InvalidCredentialsError(BAD_LOGIN);
    }
    await this.throttle.recordSuccess(account);
    const now = new Date();
    await this.users.touchLogin(user.id, now);
    return { user: toUserView({ ...user, last_login_at: now }), ...(await this.openSession(user, secret, randomUUID(), client)) };
  }

  /**
   * POST /api/auth/refresh: uses the token up and answers a new pair in the same family. A
   * token presented after it was used means two parties hold it: the whole family is revoked.
   */
  async refresh(refreshToken: string, client: ClientContext): Promise<TokenPair> {
    const secret = this.secret();
    const now = new Date();
    const redemption = await this.sessions.redeem(tokenHash(refreshToken), now);
    if (redemption.outcome === 'reused') {
      this.logger.warn({ userId: redemption.session.user_id, familyId: redemption.session.family_id }, 'refresh token reused; its session family is revoked');
      throw new InvalidCredentialsError('This refresh token was already used; every session it belongs to is now revoked. Log in again.');
    }
    if (redemption.outcome === 'invalid') throw new InvalidCredentialsError('The refresh token is unknown, expired or revoked.');
    const { session } = redemption;
    const user = await this.users.findById(session.user_id);
    const stale = user === undefined || user.disabled_at !== null || session.created_at.getTime() < user.password_changed_at.getTime();
    if (stale) {
      await this.sessions.revokeFamily(session.family_id, now);
      throw new InvalidCredentialsError('The refresh token is unknown, expired or revoked.');
    }
    return this.openSession(user, secret, session.family_id, client);
  }

  /** POST /api/auth/logout: revokes the family of the caller's refresh token. */
  async logout(userId: string, refreshToken: string): Promise<void> {
    const now = new Date();
    const session = await this.sessions.findLive(tokenHash(refreshToken), now);
    if (session !== undefined && session.user_id === userId) await this.sessions.revokeFamily(session.family_id, now);
  }

  private async openSession(user: Pick<UserRow, 'id' | 'role' | 'password_changed_at'>, secret: string, familyId: string, client: ClientContext): Promise<TokenPair> {
    const now = new Date();
    const refreshToken = opaqueToken();
    await this.sessions.create(
      {
        userId: user.id,
        familyId,
        tokenHash: tokenHash(refreshToken),
        expiresAt: new Date(now.getTime() + this.config.accounts.refreshTokenTtlS * 1000),
        userAgent: client.userAgent?.slice(0, 500) ?? null,
        ip: client.ip,
      },
      now,
    );
    const ttl = this.config.accounts.accessTokenTtlS;
    return { access_token: signAccessToken(user, secret, ttl), token_type: 'Bearer', expires_in: ttl, refresh_token: refreshToken };
  }

  /** GET /api/me. */
  async profile(userId: string): Promise<ProfileView> {
    const user = await this.requireUser(userId);
    const sent = await this.users.sentInLast30Days(user.id, new Date());
    return {
      ...toUserView(user),
      identities: this.identitiesOf === undefined ? [] : await this.identitiesOf(user.id),
      messages_sent_30d: sent,
    };
  }

  /** PATCH /api/me: the display name, or the password given the current one (which ends every session). */
  async updateProfile(userId: string, input: PatchMeRequest): Promise<ProfileView> {
    const user = await this.requireUser(userId);
    const changes: { -readonly [K in keyof UserChanges]: UserChanges[K] } = {};
    if (input.display_name !== undefined) changes.display_name = input.display_name;
    if (input.password !== undefined) {
      if (!(await verifyPassword(input.current_password ?? '', user.password_hash))) {
        throw new InvalidFieldsError([{ field: 'current_password', message: 'is not the current password' }]);
      }
      Object.assign(changes, await this.passwordChange(user, input.password));
    }
    await this.applyChanges(user.id, changes);
    return this.profile(user.id);
  }

  private async passwordChange(user: Pick<UserRow, 'username' | 'email'>, password: string): Promise<UserChanges> {
    const weak = passwordProblem(password, user);
    if (weak !== undefined) throw new InvalidFieldsError([{ field: 'password', message: weak }]);
    return { password_hash: await hashPassword(password), password_changed_at: new Date() };
  }

  /** Writes the changes; a new password or a disabling ends every session of the user. */
  private async applyChanges(userId: string, changes: UserChanges): Promise<UserRow> {
    const now = new Date();
    const updated = await this.users.update(userId, changes, now);
    if (updated === undefined) throw new NotFoundError('No user with this id.');
    if (changes.password_changed_at !== undefined || (changes.disabled_at !== undefined && changes.disabled_at !== null)) {
      await this.sessions.revokeAllOf(userId, now);
    }
    return updated;
  }

  private async requireUser(id: string): Promise<UserRow> {
    const user = await this.users.findById(id);
    if (user === undefined) throw new NotFoundError('No user with this id.');
    return user;
  }

  // Admin user management (seed 001's admin page, as API).

  async adminList(limit: number, offset: number): Promise<{ count: number; results: UserView[] }> {
    const { count, rows } = await this.users.list(limit, offset);
    return { count, results: rows.map(toUserView) };
  }

  async adminGet(id: string): Promise<UserView> {
    return toUserView(await this.requireUser(id));
  }

  async adminCreate(input: AdminCreateUser): Promise<UserView> {
    return toUserView(await this.createUser(input));
  }

  async adminUpdate(id: string, input: AdminPatchUser): Promise<UserView> {
    const user = await this.requireUser(id);
    const now = new Date();
    const changes: { -readonly [K in keyof UserChanges]: UserChanges[K] } = {};
    if (input.display_name !== undefined) changes.display_name = input.display_name;
    if (input.role !== undefined) changes.role = input.role;
    if (input.disabled !== undefined) changes.disabled_at = input.disabled ? (user.disabled_at ?? now) : null;
    if (input.verified !== undefined) changes.email_verified_at = input.verified ? (user.email_verified_at ?? now) : null;
    if (input.password !== undefined) Object.assign(changes, await this.passwordChange(user, input.password));
    return toUserView(await this.applyChanges(id, changes));
  }

  /** DELETE /api/admin/users/:id: disables the user and ends its sessions; its messages stay. */
  async adminDisable(id: string): Promise<void> {
    const user = await this.requireUser(id);
    await this.applyChanges(id, { disabled_at: user.disabled_at ?? new Date() });
  }
}
