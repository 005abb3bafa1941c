import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Worker } from 'bullmq';
import { deliveryMetricsListener } from '../services/delivery/delivery-metrics';
import { DeliveryLedger } from '../services/delivery/delivery-ledger';
import { type DeliveryListener, DeliveryService } from '../services/delivery/delivery-service';
import { MailEngagement } from '../services/engagement/mail-engagement';
import { TrackedLinkStore } from '../services/engagement/tracked-link-store';
import type { Infrastructure } from '../services/app';
import { MessageEnqueuer } from '../services/messages/enqueuer';
import { CircuitBreaker } from '../services/mail/circuit-breaker';
import { IdentityRoute } from '../services/mail/identity-route';
import { IdentityTransports } from '../services/mail/identity-transports';
import { IdentityCredentials } from '../services/identities/identity-credentials';
import { IdentityRepository } from '../services/identities/identity-repository';
import { sendingIdentities } from '../services/identities/sending-identities';
import { ProviderChain } from '../services/mail/provider-chain';
import { createProviders } from '../services/mail/providers/provider-factory';
import type { MailProvider } from '../services/mail/providers/mail-provider';
import { type DeliveryJob, QUEUE_NAMES, retryDelayMs } from '../services/platform/queue';
import { createRedis } from '../services/platform/redis';
import { DeliveryEventPublisher } from '../services/tail/delivery-events';
import { DomainDns } from '../services/validation/domain-dns';
import { createEmailValidator } from '../services/validation/create-validator';
import { type ValidationJobListener, ValidationJobRunner } from '../services/validation/job-runner';
import { ValidationJobStore } from '../services/validation/job-store';
import { RecipientGuard } from '../services/validation/recipient-guard';
import type { ValidationJobData } from '../services/validation/validation-queue';
import { createValidationJobProcessor } from './validation-job-processor';
import { createDeliveryProcessor } from './delivery-processor';
import { Heartbeat } from './heartbeat';
import { Sweeper } from './sweeper';
import { WebhookSweeper } from './webhook-sweeper';
import { WebhookDeliverer, type WebhookTryReport } from '../services/webhooks/deliverer';
import { WebhookDispatcher, type WebhookJob } from '../services/webhooks/queue';
import { WebhookSecrets } from '../services/webhooks/secrets';
import { WebhookStore } from '../services/webhooks/store';

export interface WorkerRuntimeOptions {
  /** Providers to use instead of those named by the configuration. */
  readonly providers?: MailProvider[];
  readonly breaker?: CircuitBreaker;
  readonly listeners?: readonly DeliveryListener[];
  readonly heartbeatTtlMs?: number;
  /** Told of every webhook try, after the metrics and the tail. */
  readonly webhookListeners?: readonly ((report: WebhookTryReport) => void)[];
  /** Told of validation job progress and completion (the webhooks' seam). */
  readonly validationJobListeners?: readonly ValidationJobListener[];
}

export interface WorkerRuntime {
  readonly workerId: string;
  readonly worker: Worker<DeliveryJob, void, 'deliver'>;
  readonly webhookWorker: Worker<WebhookJob, void, 'send'>;
  readonly validationWorker: Worker<ValidationJobData, void, 'validate'>;
  readonly sweeper: Sweeper;
  readonly webhookSweeper: WebhookSweeper;
  readonly breaker: CircuitBreaker;
  /** Stops taking jobs, lets in-flight sends finish within SHUTDOWN_TIMEOUT_MS, closes providers. */
  stop(): Promise<void>;
}

/** Starts the delivery consumer, the sweeper and the heartbeat in this process. */
export async function startWorkerRuntime(infra: Infrastructure, options: WorkerRuntimeOptions = {}): Promise<WorkerRuntime> {
  const { config, logger } = infra;
  const workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const providers = options.providers ?? createProviders(config);
  if (options.providers === undefined && config.providers.length === 1 && config.providers[0] === 'outbox') {
    logger.warn({ outboxDir: config.outboxDir }, 'no mail provider configured: messages are written as .eml files to the outbox');
  }
  const breaker = options.breaker ?? new CircuitBreaker();
  const chain = new ProviderChain(providers, breaker);
  // Every attempt feeds the metrics and the live tail (`herald tail`), then any listener the caller adds.
  // A connection of its own: BullMQ defines its scripts on the shared ones, and ioredis copies
  // every defined script onto each pipeline it makes, which cost more than the appends themselves.
  // Fail fast, like the shared one: an event that cannot be appended is reported and dropped.
  const eventsRedis = createRedis(config.redisUrl, { failFast: true });
  const events = new DeliveryEventPublisher(eventsRedis, config.queuePrefix, workerId, (error) => logger.warn({ err: error }, 'delivery event not published'));
  const listeners = [deliveryMetricsListener(infra.metrics), events, ...(options.listeners ?? [])];
  const webhookDispatcher = new WebhookDispatcher(infra.webhookQueue, logger);
  const ledger = new DeliveryLedger(infra.db, config.sweeper.leaseMs, (ids) => webhookDispatcher.dispatch(ids));
  // VALIDATION_POLICY=worker: one cached DNS answer per recipient domain before the first provider call; off costs nothing.
  const guard = config.validation.policy === 'worker' ? new RecipientGuard(new DomainDns(infra.redis, config, { onLookup: (source, status) => infra.metrics.dnsLookups.inc({ source, status }) })) : undefined;
  // Messages sent as an identity with its own SMTP server: pooled transports per identity, a circuit per identity.
  const identityRoute = new IdentityRoute(new IdentityTransports({ allowPrivate: config.smtpAllowPrivateHosts }), chain, new CircuitBreaker<string>(), config);
  const identities = { route: identityRoute, identity: sendingIdentities(new IdentityRepository(infra.db), new IdentityCredentials(config)) };
  const engagement = new MailEngagement(new TrackedLinkStore(infra.db), config);
  const delivery = new DeliveryService(ledger, chain, config, logger, listeners, guard, identities, engagement);
  const unwatchCircuits = infra.metrics.watchCircuits({ providers: chain.providerNames, openProviders: () => breaker.openProviders() });
  const connection = createRedis(config.redisUrl);
  // Stalled jobs (a crashed worker) are noticed after the lock lapses; keep it no longer than the row lease.
  const lockDuration = Math.min(30000, config.sweeper.leaseMs);
  const worker = new Worker<DeliveryJob, void, 'deliver'>(QUEUE_NAMES.deliveries, createDeliveryProcessor(delivery), {
    connection,
    prefix: config.queuePrefix,
    concurrency: config.workerConcurrency,
    lockDuration,
    stalledInterval: lockDuration,
    maxStalledCount: 10,
    settings: { backoffStrategy: (attemptsMade: number) => retryDelayMs(config, attemptsMade) },
  });
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  // Webhooks have a queue, a connection and a concurrency of their own: a slow receiver never holds up mail.
  const webhookConnection = createRedis(config.redisUrl);
  const webhookEvents = (report: WebhookTryReport) => {
    infra.metrics.webhookDeliveries.inc({ outcome: report.outcome });
    if (report.outcome === 'delivered') infra.metrics.webhookEventToDelivery.observe(report.sinceEventMs / 1000);
    if (report.endpointDisabled) infra.metrics.webhookEndpointsDisabled.inc();
    events.webhookTry(report);
  };
  const deliverer = new WebhookDeliverer(new WebhookStore(infra.db), new WebhookSecrets(config), infra.webhookQueue, config, logger, [
    webhookEvents,
    ...(options.webhookListeners ?? []),
  ]);
  const webhookWorker = new Worker<WebhookJob, void, 'send'>(QUEUE_NAMES.webhooks, (job, token) => deliverer.process(job, token), {
    connection: webhookConnection,
    prefix: config.queuePrefix,
    concurrency: config.webhooks.workerConcurrency,
    // BullMQ renews the lock while a try runs; a short one notices a killed worker soon, as for deliveries.
    lockDuration,
    stalledInterval: lockDuration,
    maxStalledCount: 10,
  });
  const validationJobs = new ValidationJobStore(infra.db);
  const runner = new ValidationJobRunner(validationJobs, createEmailValidator(infra.redis, config, infra.metrics), logger, [
    { onChunk: (_jobId, rows) => infra.metrics.validationJobRows.inc(rows) },
    ...(options.validationJobListeners ?? []),
  ]);
  const validationWorker = new Worker<ValidationJobData, void, 'validate'>(QUEUE_NAMES.validationJobs, createValidationJobProcessor(runner), {
    connection,
    prefix: config.queuePrefix,
    // One job at a time per process: a job is already a loop of chunks, each with its own DNS concurrency.
    concurrency: 1,
    lockDuration,
    stalledInterval: lockDuration,
    maxStalledCount: 10,
  });
  webhookWorker.on('error', (error) => logger.error({ err: error }, 'webhook worker error'));
  const webhookSweeper = new WebhookSweeper(infra.db, infra.webhookQueue, config);
  webhookSweeper.on('error', (error) => logger.error({ err: error }, 'webhook sweeper error'));
  webhookSweeper.on('swept', (requeued: number) => {
    if (requeued > 0) logger.info({ requeued }, 'sweeper re-enqueued webhook deliveries');
  });
  webhookSweeper.start();
  validationWorker.on('error', (error) => logger.error({ err: error }, 'validation worker error'));
  const sweeper = new Sweeper(infra.db, infra.queue, new MessageEnqueuer(infra.queue, infra.db, config, logger), config, { store: validationJobs, queue: infra.validationQueue });
  sweeper.on('error', (error) => logger.error({ err: error }, 'sweeper error'));
  sweeper.on('swept', (report: { requeued: number; reclaimed: number }) => {
    infra.metrics.swept(report);
    if (report.requeued + report.reclaimed > 0) logger.info(report, 'sweeper re-enqueued messages');
  });
  const heartbeat = new Heartbeat(infra.redis, config.queuePrefix, workerId, options.heartbeatTtlMs);
  heartbeat.on('error', (error) => logger.warn({ err: error }, 'heartbeat failed'));
  await worker.waitUntilReady();
  await webhookWorker.waitUntilReady();
  await validationWorker.waitUntilReady();
  await heartbeat.start();
  // Once both consumers are ready: what the sweeper hands back is taken at once.
  sweeper.start();
  logger.info({ workerId, concurrency: config.workerConcurrency, providers: providers.map((p) => p.name) }, 'worker started');

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await heartbeat.stop();
      await sweeper.stop();
      await webhookSweeper.stop();
      const closed = Promise.all([worker.close(), webhookWorker.close(), validationWorker.close()]);
      const timedOut = await Promise.race([
        closed.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(true), config.shutdownTimeoutMs).unref()),
      ]);
      if (timedOut) {
        logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'in-flight sends did not finish in time; their leases will expire and the sweeper will retry them');
        await Promise.all([worker.close(true), webhookWorker.close(true), validationWorker.close(true)]);
      }
      await events.flush();
      eventsRedis.disconnect();
      unwatchCircuits();
      await chain.close();
      await identityRoute.close();
      connection.disconnect();
      webhookConnection.disconnect();
      logger.info({ workerId }, 'worker stopped');
    })();
    return stopping;
  };
  return { workerId, worker, webhookWorker, validationWorker, sweeper, webhookSweeper, breaker, stop };
}
