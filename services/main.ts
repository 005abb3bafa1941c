#!/usr/bin/env -S node --max-semi-space-size=8 --max-old-space-size=256
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { ApiKeyRepository } from './auth/api-key-repository';
import { ApiKeyService } from './auth/api-keys';
import { isScope, type Scope } from './auth/scopes';
import { createApiApp, createServices, openInfrastructure } from './app';
import { type Config, ConfigError, configFromProcessEnv } from './platform/config';
import type { Database } from './database';
import { createDb } from './platform/db';
import { GracefulHttp } from './platform/graceful-http';
import { createLogger, type Logger } from './platform/logger';
import { migrateToLatest } from '../migrations/migrate';
import { parseTailArgs, runTail, TAIL_USAGE } from './tail/tail-command';

const USAGE = `usage: herald <command>

  serve [--role api|worker|all]     run the HTTP API, the delivery workers, or both (default)
  migrate                           apply database migrations
  keys create --name N --scopes a,b create an API key (printed once); scopes: notify:send, messages:read, templates:write,
                                    contacts:write, suppressions:write, webhooks:write, validate, admin
  keys list                         list API keys (never the secrets)
  keys revoke ID                    revoke an API key
  users create-admin --username U --email E --password-file F
                                    create an admin user (verified) with the password in F, unless U exists (quickstart)
  tail [--json] [--kind K] [--status S] [--provider P] [--id ID] [--since 10m]
                                    follow delivery attempts from every worker live (herald tail --help)
`;

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
      throw new UsageError(USAGE);
    }
  } finally {
    await db.destroy();
  }
}

/** `herald users create-admin`: idempotent, so the quickstart can run it on every start. */
async function users(config: Config, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== 'create-admin') throw new UsageError(USAGE);
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

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === 'help') {
    console.log(USAGE);
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
    case 'keys':
      await keys(config, rest);
      return;
    case 'users':
      await users(config, rest);
      return;
    case 'tail': {
      if (rest.includes('--help')) {
        console.log(TAIL_USAGE);
        return;
      }
      let options;
      try {
        options = parseTailArgs(rest);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      await runTail(config, options);
      return;
    }
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof UsageError) {
    console.error(`herald: ${error.message}`);
    process.exit(2);
  }
  console.error(`herald: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
