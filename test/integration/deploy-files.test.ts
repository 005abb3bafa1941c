import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { configSchema, loadConfig } from '../../services/platform/config';
import { HERALD_NODE_FLAGS } from '../../services/platform/node-flags';

const ROOT = join(__dirname, '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

// Just enough of the Compose specification to check what Herald relies on.
const healthcheckSchema = z.object({ test: z.union([z.string(), z.array(z.string())]) });
const dependsOnSchema = z.union([
  z.array(z.string()),
  z.record(z.string(), z.object({ condition: z.string().optional() })),
]);
const environmentSchema = z.union([
  z.array(z.string()),
  z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
]);
const serviceSchema = z.object({
  image: z.string().optional(),
  build: z.unknown().optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  environment: environmentSchema.optional(),
  depends_on: dependsOnSchema.optional(),
  healthcheck: healthcheckSchema.optional(),
  stop_grace_period: z.string().optional(),
});
const composeSchema = z.object({ services: z.record(z.string(), serviceSchema) });
type Service = z.infer<typeof serviceSchema>;

const compose = composeSchema.parse(parse(read('docker-compose.yml'), { merge: true }));

function service(name: string): Service {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** Services that run the Herald image (api, worker, and one-off ones such as migrate). */
const heraldServices = Object.entries(compose.services)
  .filter(([, svc]) => svc.build !== undefined || (svc.image ?? '').startsWith('herald'))
  .map(([name]) => name);

function commandText(svc: Service): string {
  return Array.isArray(svc.command) ? svc.command.join(' ') : (svc.command ?? '');
}

/** Environment as a map, with values as written (before interpolation). */
function environmentOf(svc: Service): Record<string, string> {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const at = entry.indexOf('=');
        return at === -1 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value === null ? '' : String(value)]));
}

/** Compose interpolation as if no variable were set: `${X:-d}`/`${X-d}` become d, `${X}` and `$X` become empty. */
function interpolateDefaults(value: string): string {
  return value
    .split('$$')
    .map((part) =>
      part
        .replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}/g, (_match, fallback: string | undefined) => fallback ?? '')
        .replace(/\$[A-Za-z_][A-Za-z0-9_]*/g, ''),
    )
    .join('$');
}

function dependencyConditions(svc: Service): Record<string, string | undefined> {
  const deps = svc.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([name, dep]) => [name, dep.condition]));
}

describe('docker-compose.yml', () => {
  it.each(['postgres', 'redis', 'mailpit', 'api', 'worker'])('has a %s service', (name) => {
    expect(compose.services[name]).toBeDefined();
  });

  it.each(['postgres', 'redis', 'api', 'worker'])('%s has a healthcheck', (name) => {
    const test = service(name).healthcheck?.test;
    expect(test).toBeDefined();
    expect(test?.length).toBeGreaterThan(0);
  });

  it('runs Redis with persistence and without eviction (BullMQ needs both)', () => {
    const command = commandText(service('redis'));
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('noeviction');
  });

  it('starts the api and worker roles of the herald CLI', () => {
    expect(commandText(service('api'))).toMatch(/^serve --role api$/);
    expect(commandText(service('worker'))).toMatch(/^serve --role worker$/);
  });

  it('checks readiness of the api and liveness of the worker over HTTP', () => {
    expect(JSON.stringify(service('api').healthcheck?.test)).toContain('/readyz');
    expect(JSON.stringify(service('worker').healthcheck?.test)).toMatch(/:9102\/livez/);
  });

  it.each(['api', 'worker'])('%s gives SIGTERM more time than SHUTDOWN_TIMEOUT_MS', (name) => {
    const env = Object.fromEntries(Object.entries(environmentOf(service(name))).map(([key, value]) => [key, interpolateDefaults(value)]));
    const grace = /^(\d+)s$/.exec(service(name).stop_grace_period ?? '10s')?.[1];
    expect(Number(grace) * 1000).toBeGreaterThan(loadConfig(env).shutdownTimeoutMs);
  });

  it.each(['api', 'worker'])('%s waits for healthy postgres and redis', (name) => {
    const conditions = dependencyConditions(service(name));
    expect(conditions.postgres).toBe('service_healthy');
    expect(conditions.redis).toBe('service_healthy');
  });

  it('configSchema is still an object schema with a shape', () => {
    expect(Object.keys(configSchema.shape)).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'PORT']));
  });

  it('runs api and worker from the Herald image', () => {
    expect(heraldServices).toEqual(expect.arrayContaining(['api', 'worker']));
  });

  it.each(heraldServices)('%s gets only variables Herald reads (DESIGN section 7)', (name) => {
    const known = new Set(Object.keys(configSchema.shape));
    const names = Object.keys(environmentOf(service(name)));
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((key) => !known.has(key))).toEqual([]);
  });

  it.each(['api', 'worker'])('%s environment is a valid configuration with the defaults', (name) => {
    const env = Object.fromEntries(
      Object.entries(environmentOf(service(name))).map(([key, value]) => [key, interpolateDefaults(value)]),
    );
    const config = loadConfig(env);
    expect(config.databaseUrl).toMatch(/@postgres:5432\//);
    expect(config.redisUrl).toBe('redis://redis:6379');
    expect(config.providers).toEqual(['smtp']);
    expect(config.smtpUrl).toBe('smtp://mailpit:1025');
    expect(config.adminKey).toBeDefined();
  });

  it('api and worker agree on the database, Redis and queue settings', () => {
    const api = environmentOf(service('api'));
    const worker = environmentOf(service('worker'));
    for (const key of ['DATABASE_URL', 'REDIS_URL', 'QUEUE_PREFIX', 'MAIL_DOMAIN']) {
      expect(`${key}=${worker[key]}`).toBe(`${key}=${api[key]}`);
    }
  });
});

describe('Dockerfile', () => {
  const lines = read('Dockerfile')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
  const instruction = (line: string): string => (line.split(/\s+/, 1)[0] ?? '').toUpperCase();
  const lastFrom = lines.map(instruction).lastIndexOf('FROM');
  const finalStage = lines.slice(lastFrom);

  it('is a multi-stage build', () => {
    expect(lines.filter((line) => instruction(line) === 'FROM').length).toBeGreaterThanOrEqual(2);
  });

  it('runs the final stage as a non-root user', () => {
    const users = finalStage.filter((line) => instruction(line) === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = (users[users.length - 1] ?? '').split(/\s+/)[1] ?? '';
    expect(user).not.toMatch(/^(root|0)(:.*)?$/);
  });

  it('has a healthcheck and exposes the API port', () => {
    expect(finalStage.some((line) => instruction(line) === 'HEALTHCHECK' && !/\bNONE\b/i.test(line))).toBe(true);
    const exposed = finalStage.filter((line) => instruction(line) === 'EXPOSE').flatMap((line) => line.split(/\s+/).slice(1));
    expect(exposed.map((port) => port.replace(/\/tcp$/, ''))).toContain('8002');
  });

  it("starts the herald CLI with Herald's V8 options", () => {
    const command = ['node', ...HERALD_NODE_FLAGS, 'dist/services/main.js'].map((part) => `"${part}"`).join(', ');
    expect(finalStage).toContain(`ENTRYPOINT [${command}]`);
  });
});

describe("Herald's V8 options", () => {
  it('are passed by the herald command and the quickstart as by the image', () => {
    expect(read('services/main.ts').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${HERALD_NODE_FLAGS.join(' ')}`);
    expect(read('scripts/quickstart.sh')).toContain(`exec node ${HERALD_NODE_FLAGS.join(' ')} dist/services/main.js serve`);
  });
});

describe('scripts', () => {
  it('.ci/run runs npm test and is executable', () => {
    const script = read('.ci/run');
    expect(script.startsWith('#!/usr/bin/env bash')).toBe(true);
    expect(script).toMatch(/^npm test$/m);
    expect(statSync(join(ROOT, '.ci/run')).mode & 0o111).not.toBe(0);
  });

  const shellScripts = readdirSync(join(ROOT, 'scripts')).filter((file) => file.endsWith('.sh'));

  it('include services.sh, test.sh and quickstart.sh', () => {
    expect(shellScripts).toEqual(expect.arrayContaining(['services.sh', 'test.sh', 'quickstart.sh']));
  });

  it.each([...shellScripts.map((file) => `scripts/${file}`), '.ci/run'])('%s passes bash -n', (path) => {
    expect(() => execFileSync('bash', ['-n', join(ROOT, path)], { stdio: 'pipe' })).not.toThrow();
  });
});
