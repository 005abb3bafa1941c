import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { configSchema, loadConfig } from '../../services/platform/config';
import { createDeliveryQueue } from '../../services/platform/queue';
import { createWorkerHttpApp } from '../../workers/worker-http';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/worker-runtime';
import { parseExposition } from '../support/prom-text';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

const DEPLOY = join(__dirname, '..', '..', 'deploy');

// Just enough of the Kubernetes, KEDA and Prometheus schemas to check what Herald relies on.
const manifestSchema = z.looseObject({ apiVersion: z.string(), kind: z.string(), metadata: z.looseObject({ name: z.string() }) });
type Manifest = z.infer<typeof manifestSchema>;
const probeSchema = z.looseObject({ httpGet: z.object({ path: z.string(), port: z.union([z.string(), z.number()]) }) });
const envVarSchema = z.object({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z.object({ secretKeyRef: z.looseObject({ name: z.string(), key: z.string(), optional: z.boolean().optional() }) }).optional(),
});
const containerSchema = z.looseObject({
  name: z.string(),
  image: z.string(),
  args: z.array(z.string()),
  ports: z.array(z.object({ name: z.string(), containerPort: z.number() })),
  env: z.array(envVarSchema).default([]),
  envFrom: z.array(z.object({ configMapRef: z.object({ name: z.string() }) })).default([]),
  startupProbe: probeSchema,
  livenessProbe: probeSchema,
  readinessProbe: probeSchema,
  resources: z.object({
    requests: z.object({ cpu: z.string(), memory: z.string() }),
    limits: z.looseObject({ memory: z.string() }),
  }),
  lifecycle: z.object({ preStop: z.object({ exec: z.object({ command: z.array(z.string()) }) }) }).optional(),
});
const deploymentSchema = z.looseObject({
  spec: z.looseObject({
    selector: z.object({ matchLabels: z.record(z.string(), z.string()) }),
    template: z.looseObject({
      metadata: z.looseObject({ labels: z.record(z.string(), z.string()) }),
      spec: z.looseObject({ terminationGracePeriodSeconds: z.number(), containers: z.array(containerSchema).length(1) }),
    }),
  }),
});
const ruleFileSchema = z.object({
  groups: z.array(z.object({ name: z.string(), rules: z.array(z.looseObject({ alert: z.string(), expr: z.string(), for: z.string().optional() })) })),
});

function yamlFiles(dir: string): string[] {
  return readdirSync(join(DEPLOY, dir))
    .filter((file) => file.endsWith('.yaml') || file.endsWith('.yml'))
    .map((file) => join(dir, file));
}

// kustomization.yaml is kustomize's own file, not a manifest; it is checked on its own below.
const kubernetesFiles = yamlFiles('kubernetes').filter((file) => !file.endsWith('kustomization.yaml'));
const manifests: (Manifest & { file: string })[] = kubernetesFiles.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8'))
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      return doc.toJS() as unknown;
    })
    .filter((value) => value !== null)
    .map((value) => ({ ...manifestSchema.parse(value), file })),
);

function find(kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
  return found;
}

const configMap = z.object({ data: z.record(z.string(), z.string()) }).parse(find('ConfigMap', 'herald-config'));
const secret = z.object({ stringData: z.record(z.string(), z.string()) }).parse(find('Secret', 'herald-secrets'));
const deployments = { api: deploymentSchema.parse(find('Deployment', 'herald-api')), worker: deploymentSchema.parse(find('Deployment', 'herald-worker')) };
const containerOf = (role: 'api' | 'worker') => {
  const container = deployments[role].spec.template.spec.containers[0];
  if (container === undefined) throw new Error(`herald-${role} has no container`);
  return container;
};

/** The environment a container gets: its ConfigMap, then its own entries with Secret values from the example Secret. */
function environmentOf(role: 'api' | 'worker'): Record<string, string> {
  const container = containerOf(role);
  const env: Record<string, string> = {};
  for (const source of container.envFrom) {
    expect(source.configMapRef.name).toBe('herald-config');
    Object.assign(env, configMap.data);
  }
  for (const entry of container.env) {
    const ref = entry.valueFrom?.secretKeyRef;
    env[entry.name] = entry.value ?? (ref !== undefined ? (secret.stringData[ref.key] ?? '') : '');
  }
  return env;
}

const rules = ruleFileSchema.parse(parse(readFileSync(join(DEPLOY, 'prometheus', 'herald-alerts.yaml'), 'utf8'))).groups.flatMap((group) => group.rules);
const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'herald-dashboard.json'), 'utf8')) as unknown;

/** Every `expr` in the dashboard, at any depth (panels, rows' panels, targets). */
function dashboardExprs(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(dashboardExprs);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => (key === 'expr' && typeof value === 'string' ? [value] : dashboardExprs(value)));
}

const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'bool', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'inf', 'nan']);

/** Metric names in a PromQL expression: identifiers left once strings, matchers, ranges, grouping clauses and function calls are set aside. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(/(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = match;
    if (name === undefined || call !== undefined || PROMQL_WORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

describe('deploy/kubernetes', () => {
  it('parses every manifest, with the kinds a deployment at scale needs', () => {
    expect(kubernetesFiles.length).toBeGreaterThan(0);
    const kinds = manifests.map((m) => `${m.kind}/${m.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'Deployment/herald-api',
        'Deployment/herald-worker',
        'Service/herald-api',
        'PodDisruptionBudget/herald-api',
        'PodDisruptionBudget/herald-worker',
        'HorizontalPodAutoscaler/herald-api',
        'ScaledObject/herald-worker',
        'ConfigMap/herald-config',
      ]),
    );
  });

  it('kustomization.yaml lists every manifest but the example Secret', () => {
    const kustomization = z.object({ resources: z.array(z.string()) }).loose().parse(parse(readFileSync(join(DEPLOY, 'kubernetes', 'kustomization.yaml'), 'utf8')));
    const expected = kubernetesFiles.map((file) => file.slice('kubernetes/'.length)).filter((file) => !file.includes('.example.'));
    expect([...kustomization.resources].sort()).toEqual(expected.sort());
  });

  it.each(['api', 'worker'] as const)('%s runs its role of the herald CLI', (role) => {
    expect(containerOf(role).args).toEqual(['serve', '--role', role]);
  });

  it.each(['api', 'worker'] as const)('%s gets only variables Herald reads (configSchema)', (role) => {
    const known = new Set(Object.keys(configSchema.shape));
    const container = containerOf(role);
    const names = [...container.env.map((entry) => entry.name), ...Object.keys(configMap.data)];
    expect(names.filter((name) => !known.has(name))).toEqual([]);
    for (const entry of container.env) {
      const ref = entry.valueFrom?.secretKeyRef;
      if (ref !== undefined) expect(Object.keys(secret.stringData)).toContain(ref.key);
    }
  });

  it.each(['api', 'worker'] as const)('%s environment, with the example Secret, is a valid configuration', (role) => {
    const config = loadConfig(environmentOf(role));
    expect(config.queuePrefix).toBe('{herald}');
    expect(environmentOf(role).DATABASE_URL).toMatch(/^postgres:\/\//);
    expect(environmentOf(role).REDIS_URL).toMatch(/^redis:\/\//);
  });

  it.each(['api', 'worker'] as const)('%s gives SIGTERM more time than SHUTDOWN_TIMEOUT_MS (and its preStop pause)', (role) => {
    const config = loadConfig(environmentOf(role));
    const preStop = containerOf(role).lifecycle?.preStop.exec.command;
    const pauseSeconds = preStop?.[0] === 'sleep' ? Number(preStop[1]) : 0;
    const graceMs = deployments[role].spec.template.spec.terminationGracePeriodSeconds * 1000;
    expect(graceMs).toBeGreaterThan(config.shutdownTimeoutMs + pauseSeconds * 1000);
  });

  it('exposes the ports the configuration listens on', () => {
    const api = loadConfig(environmentOf('api'));
    const worker = loadConfig(environmentOf('worker'));
    expect(containerOf('api').ports).toEqual([{ name: 'http', containerPort: api.port }]);
    expect(containerOf('worker').ports).toEqual([{ name: 'http', containerPort: worker.workerHttpPort }]);
  });

  it('selects each Deployment in its Service, PodDisruptionBudget and autoscaler', () => {
    const apiLabels = deployments.api.spec.template.metadata.labels;
    const service = z.object({ spec: z.looseObject({ selector: z.record(z.string(), z.string()) }) }).parse(find('Service', 'herald-api'));
    expect(apiLabels).toEqual(expect.objectContaining(service.spec.selector));
    for (const role of ['api', 'worker'] as const) {
      const pdb = z.object({ spec: z.looseObject({ selector: z.object({ matchLabels: z.record(z.string(), z.string()) }) }) }).parse(find('PodDisruptionBudget', `herald-${role}`));
      expect(deployments[role].spec.template.metadata.labels).toEqual(expect.objectContaining(pdb.spec.selector.matchLabels));
    }
    const hpa = z
      .object({
        spec: z.looseObject({
          scaleTargetRef: z.object({ kind: z.string(), name: z.string() }).loose(),
          minReplicas: z.number(),
          metrics: z.array(z.looseObject({ type: z.string(), resource: z.looseObject({ name: z.string() }) })),
        }),
      })
      .parse(find('HorizontalPodAutoscaler', 'herald-api'));
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'herald-api' });
    expect(hpa.spec.metrics).toEqual([expect.objectContaining({ type: 'Resource', resource: expect.objectContaining({ name: 'cpu' }) })]);
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
  });

  it("scales workers with KEDA on BullMQ's wait list of the deliveries queue", () => {
    const scaled = z
      .object({
        spec: z.looseObject({
          scaleTargetRef: z.looseObject({ name: z.string() }),
          minReplicaCount: z.number(),
          triggers: z.array(z.looseObject({ type: z.string(), metadata: z.record(z.string(), z.string()) })),
        }),
      })
      .parse(find('ScaledObject', 'herald-worker'));
    expect(scaled.spec.scaleTargetRef.name).toBe('herald-worker');
    // Delayed and scheduled jobs and the sweeper need a running worker even when nothing waits.
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    const trigger = scaled.spec.triggers.find((t) => t.type === 'redis');
    const queue = createDeliveryQueue(t.redis, loadConfig(environmentOf('worker')).queuePrefix);
    try {
      expect(trigger?.metadata.listName).toBe(queue.keys.wait);
      expect(trigger?.metadata.listName).toBe('{herald}:deliveries:wait');
    } finally {
      void queue.close();
    }
  });

  describe('probes answer on a real api and worker http server', () => {
    it.each(['startupProbe', 'livenessProbe', 'readinessProbe'] as const)('api %s', async (probe) => {
      const { path, port } = containerOf('api')[probe].httpGet;
      expect(port).toBe('http');
      await request(t.app).get(path).expect(200);
    });

    it.each(['startupProbe', 'livenessProbe', 'readinessProbe'] as const)('worker %s', async (probe) => {
      const { path, port } = containerOf('worker')[probe].httpGet;
      expect(port).toBe('http');
      await request(createWorkerHttpApp(t.infra)).get(path).expect(200);
    });

    it('liveness is /livez and readiness /readyz on both', () => {
      for (const role of ['api', 'worker'] as const) {
        expect(containerOf(role).livenessProbe.httpGet.path).toBe('/livez');
        expect(containerOf(role).readinessProbe.httpGet.path).toBe('/readyz');
      }
    });
  });
});

describe('deploy/prometheus and deploy/grafana', () => {
  it('has the four alerts of the runbook', () => {
    expect(rules.map((rule) => rule.alert).sort()).toEqual(['HeraldDeliveryFailureRatioHigh', 'HeraldNoLiveWorkers', 'HeraldOldestWaitingJobTooOld', 'HeraldProviderCircuitOpen']);
    const expr = (alert: string) => rules.find((rule) => rule.alert === alert)?.expr ?? '';
    expect(expr('HeraldOldestWaitingJobTooOld')).toMatch(/herald_oldest_waiting_job_age_seconds\) > 300/);
    expect(expr('HeraldDeliveryFailureRatioHigh')).toMatch(/> 0\.05/);
  });

  it('finds metric names in PromQL', () => {
    expect(metricNames('sum by (le, provider) (rate(a_bucket{x=~"y|z"}[$__rate_interval])) / on (provider) b_total or absent(c)')).toEqual(['a_bucket', 'b_total', 'c']);
  });

  it('names in the dashboard and the alerts only metrics that a real /metrics scrape has', async () => {
    // A delivery first, so that the labelled series exist.
    const res = await request(t.app).post('/api/notify').set('Authorization', `Bearer ${ADMIN_KEY}`).send({ to: ['ops@example.com'], subject: 'Scrape', text: 'x' }).expect(202);
    await waitUntil(async () => {
      const row = await t.database.db.selectFrom('messages').select('status').where('id', '=', res.body.id).executeTakeFirstOrThrow();
      return row.status === 'sent';
    });
    const api = parseExposition((await request(t.app).get('/metrics').expect(200)).text);
    const workerHttp = parseExposition((await request(createWorkerHttpApp(t.infra)).get('/metrics').expect(200)).text);
    const scraped = new Set([...api, ...workerHttp].map((sample) => sample.name));

    const exprs = [...dashboardExprs(dashboard), ...rules.map((rule) => rule.expr)];
    const named = new Set(exprs.flatMap(metricNames));
    expect(named.size).toBeGreaterThanOrEqual(10);
    expect([...named].filter((name) => !scraped.has(name))).toEqual([]);
    for (const name of ['herald_live_workers', 'herald_oldest_waiting_job_age_seconds', 'herald_deliveries_total', 'herald_provider_circuit_open']) {
      expect(named).toContain(name);
    }
  });
});

let sink: SmtpSink;
let t: TestApp;
let worker: WorkerRuntime;

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApp({ MAIL_PROVIDERS: 'smtp', SMTP_URL: sink.url });
  worker = await startWorkerRuntime(t.infra);
});

afterAll(async () => {
  await worker.stop();
  await t.close();
  await sink.close();
});
