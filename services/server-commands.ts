// The server's own commands (serve, migrate, keys, users, credentials, tail): they open the database or Redis.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { ApiKeyRepository } from './auth/api-key-repository';
import { ApiKeyService } from './auth/api-keys';
import { isScope, type Scope } from './auth/scopes';
import { createApiApp, createServices, openInfrastructure } from './app';
import { type Config, configFromProcessEnv } from './platform/config';
import type { Database } from './database';
import { createDb } from './platform/db';
import { GracefulHttp } from './platform/graceful-http';
import { createLogger, type Logger } from './platform/logger';
import { migrateToLatest } from '../migrations/migrate';
import { parseTailArgs, runTail, TAIL_USAGE } from './tail/tail-command';
import { UsageError } from './cli/usage-error';

const KEYS_USAGE = `usage: herald keys create --name N [--scopes a,b] | herald keys list | herald keys revoke ID`;

type Role = 'api' | 'worker' | 'all';

async function serve(config: Config, role: Role): Promise<void> {
  const logger = createLogger({ level: config.logLevel, role });
  const infra = openInfrastructure(config, logger);
  await migrateToLatest(infra.db);
  // Each closer finishes within SHUTDOWN_TIMEOUT_MS; they run side by side, so the process does too.
  const closers: (() => Promise<void>)[] = [];
  if (role !== 'worker') {
    const services = createServices(infra);
    const server = createServer(createApiApp(infra, services));
    const http = new GracefulHttp(server);
    await new Promise<void>((resolve) => server.listen(config.port, resolve));
    logger.info({ port: config.port }, `api listening on http://localhost:${config.port}`);
    closers.push(async () => {
      services.health.startDraining();
      const { forcedConnections } = await http.close(config.shutdownTimeoutMs);
      if (forcedConnections > 0) logger.warn({ forcedConnections, timeoutMs: config.shutdownTimeoutMs }, 'connections still open at SHUTDOWN_TIMEOUT_MS were closed');
    });
  }
  if (role !== 'api') {
    // Loaded lazily so an api-only process never loads provider SDKs.
    const { startWorkerRuntime } = await import('../workers/worker-runtime');
    const { startWorkerHttp } = await import('../workers/worker-http');
    const runtime = await startWorkerRuntime(infra);
    closers.push(() => runtime.stop());
    if (role === 'worker') {
      const http = await startWorkerHttp(config.workerHttpPort, infra);
      closers.push(() => http.close());
    }
  }
  installShutdown(logger, async () => {
    await Promise.all(closers.map((close) => close()));
    await infra.close();
  });
}

function installShutdown(logger: Logger, shutdown: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    shutdown()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function keys(config: Config, args: string[]): Promise<void> {
  const db = createDb<Database>({ url: config.databaseUrl, max: 2 });
  try {
    await migrateToLatest(db);
    const service = new ApiKeyService(new ApiKeyRepository(db));
    const [sub, ...rest] = args;
    const { values, positionals } = parseArgs({
      args: rest,
      options: { name: { type: 'string' }, scopes: { type: 'string' } },
      allowPositionals: true,
    });
    if (sub === 'create') {
      const scopes = (values.scopes ?? 'notify:send,messages:read').split(',').map((s) => s.trim());
      const bad = scopes.filter((s) => !isScope(s));
      if (values.name === undefined || values.name.trim() === '') throw new UsageError('keys create needs --name');
      if (bad.length > 0) throw new UsageError(`unknown scope(s): ${bad.join(', ')}`);
      const created = await service.create(values.name, scopes as Scope[]);
      console.log(`id:     ${created.row.id}\nname:   ${created.row.name}\nscopes: ${created.row.scopes.join(',')}\nkey:    ${created.key}\n\nStore the key now: it is not shown again.`);
    } else if (sub === 'list') {
      for (const row of await service.list()) {
        const state = row.revoked_at !== null ? `revoked ${row.revoked_at.toISOString()}` : 'active';
        console.log(`${row.id}  ${row.prefix}…  ${row.name}  [${row.scopes.join(',')}]  ${state}`);
      }
    } else if (sub === 'revoke') {
      const id = positionals[0];
      if (id === undefined) throw new UsageError('keys revoke needs an ID');
      if (!(await service.revoke(id))) throw new UsageError(`no active key with id ${id}`);
      console.log(`revoked ${id}`);
    } else {
      throw new UsageError(KEYS_USAGE);
    }
  } finally {
    await db.destroy();
  }
}

/** `herald users create-admin`: idempotent, so the quickstart can run it on every start. */
async function users(config: Config, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== 'create-admin') throw new UsageError('usage: herald users create-admin --username U --email E --password-file F');
  const { values } = parseArgs({ args: rest, options: { username: { type: 'string' }, email: { type: 'string' }, 'password-file': { type: 'string' } } });
  if (values.username === undefined || values.email === undefined || values['password-file'] === undefined) {
    throw new UsageError('users create-admin needs --username, --email and --password-file');
  }
  // Loaded here only: the password policy's dictionaries would slow every other command's start.
  const [{ passwordProblem }, { hashPassword }, { adminCreateUserSchema }, { UserRepository }] = await Promise.all([
    import('./accounts/password-policy'),
    import('./accounts/passwords'),
    import('./accounts/schema'),
    import('./accounts/user-repository'),
  ]);
  // The password comes from a file, never the command line (which other users of the machine can read).
  const password = readFileSync(values['password-file'], 'utf8').trim();
  const parsed = adminCreateUserSchema.safeParse({ username: values.username, email: values.email, password, role: 'admin', verified: true });
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const weak = passwordProblem(parsed.data.password, parsed.data);
  if (weak !== undefined) throw new UsageError(`the password ${weak}`);
  const db = createDb<Database>({ url: config.databaseUrl, max: 2 });
  try {
    await migrateToLatest(db);
    const repository = new UserRepository(db);
    const created = await repository.create(
      { username: parsed.data.username, email: parsed.data.email, displayName: null, passwordHash: await hashPassword(parsed.data.password), role: 'admin', verified: true },
      new Date(),
    );
    if ('taken' in created) console.log(`user ${parsed.data.username} exists (its ${created.taken} is taken); left as it is`);
    else console.log(`created admin ${created.row.username} (${created.row.id})`);
  } finally {
    await db.destroy();
  }
}

/** `herald credentials rotate`: after a new key is put first in CREDENTIALS_KEYS, seal everything under it. */
async function credentials(config: Config, args: string[]): Promise<void> {
  if (args[0] !== 'rotate' || args.length > 1) throw new UsageError('usage: herald credentials rotate');
  if (config.credentialsKeys === undefined) throw new UsageError('credentials rotate needs CREDENTIALS_KEYS (kid:base64-of-32-bytes,…; the first key encrypts)');
  const db = createDb<Database>({ url: config.databaseUrl, max: 2 });
  try {
    await migrateToLatest(db);
    const { rotateIdentityCredentials } = await import('./identities/credentials-rotation');
    const { IdentityCredentials } = await import('./identities/identity-credentials');
    const { rotateWebhookSecrets } = await import('./webhooks/secrets-rotation');
    const { WebhookSecrets } = await import('./webhooks/secrets');
    const identities = await rotateIdentityCredentials(db, new IdentityCredentials(config));
    const webhooks = await rotateWebhookSecrets(db, new WebhookSecrets(config));
    const key = new IdentityCredentials(config).currentKeyId;
    console.log(`re-encrypted under key "${key}": ${identities} identity SMTP password(s), ${webhooks} webhook endpoint(s)`);
  } finally {
    await db.destroy();
  }
}

/** Runs a command that runs Herald itself or acts on its database and Redis; throws UsageError or ConfigError (exit code 2). */
export async function runServerCommand(command: 'serve' | 'migrate' | 'keys' | 'users' | 'credentials' | 'tail', rest: string[]): Promise<void> {
  if (command === 'tail' && rest.includes('--help')) {
    console.log(TAIL_USAGE);
    return;
  }
  const config = configFromProcessEnv();
  switch (command) {
    case 'serve': {
      const { values } = parseArgs({ args: rest, options: { role: { type: 'string', default: 'all' } } });
      const role = values.role;
      if (role !== 'api' && role !== 'worker' && role !== 'all') throw new UsageError('--role must be api, worker or all');
      await serve(config, role);
      return;
    }
    case 'migrate': {
      const db = createDb<Database>({ url: config.databaseUrl, max: 1 });
      try {
        const { applied } = await migrateToLatest(db);
        console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'database is up to date');
      } finally {
        await db.destroy();
      }
      return;
    }
    case 'users':
      await users(config, rest);
      return;
    case 'credentials':
      await credentials(config, rest);
      return;
    case 'keys':
      await keys(config, rest);
      return;
    case 'tail': {
      let options;
      try {
        options = parseTailArgs(rest);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      await runTail(config, options);
      return;
    }
  }
}
