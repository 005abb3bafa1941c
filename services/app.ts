import type { Express } from 'express';
import express from 'express';
import { AccountService } from './accounts/account-service';
import { LoginThrottle } from './accounts/login-throttle';
import { accountRoutes } from './accounts/routes';
import { SessionRepository } from './accounts/session-repository';
import { UserRepository } from './accounts/user-repository';
import { VerificationMailer } from './accounts/verification-mail';
import { VerificationRepository } from './accounts/verification-repository';
import { AdminOverview } from './admin/overview';
import { queueDashboard } from './admin/queue-dashboard';
import { adminRoutes } from './admin/routes';
import { ApiKeyRepository } from './auth/api-key-repository';
import { Authenticator } from './auth/authenticator';
import { consoleRoutes } from './console/routes';
import { contactRoutes } from './contact-form/routes';
import { ContactService } from './contact-form/service';
import { ContactRepository } from './contacts/contact-repository';
import { ContactService as ContactsService } from './contacts/contact-service';
import { contactRoutes as contactsRoutes } from './contacts/routes';
import { ConversionService } from './conversions/conversion-service';
import { conversionRoutes } from './conversions/routes';
import type { Database, Db } from './database';
import { docsRoutes } from './docs/routes';
import { EngagementRecorder } from './engagement/engagement-recorder';
import { EngagementService } from './engagement/engagement-service';
import { IpHasher } from './engagement/ip-hasher';
import { engagementRoutes } from './engagement/routes';
import { statsRoutes } from './engagement/stats-routes';
import { StatsService } from './engagement/stats-service';
import { MESSAGE_KINDS } from './domain/message-kinds';
import { TRY_OUTCOMES } from './domain/try-outcomes';
import { healthRoutes } from './health/routes';
import { IdentityCredentials } from './identities/identity-credentials';
import { IdentityRepository } from './identities/identity-repository';
import { IdentityService } from './identities/identity-service';
import { IdentityVerificationMailer } from './identities/identity-verification-mail';
import { identityRoutes } from './identities/routes';
import { HealthService } from './health/service';
import { MessageAcceptance } from './messages/acceptance';
import { MessageEnqueuer } from './messages/enqueuer';
import { MessageActions } from './messages/message-actions';
import { MessageReader } from './messages/message-reader';
import { MessageRepository } from './messages/repository';
import { messageActionRoutes } from './messages/routes';
import { toContactView, toNotificationView } from './messages/views';
import { notificationRoutes } from './notifications/routes';
import { NotificationService, type RecipientCheck } from './notifications/service';
import { TemplatedComposer } from './notifications/templated-composer';
import { BodyBudget, useBodyBudget } from './platform/body-budget';
import type { Config } from './platform/config';
import { createDb } from './platform/db';
import { accessLog, errorHandler, notFoundHandler, requestId } from './platform/http';
import { liveWorkers } from './platform/heartbeat';
import type { Logger } from './platform/logger';
import { HeraldMetrics } from './platform/metrics';
import { httpMetrics, metricsRoutes } from './platform/metrics-http';
import { createDeliveryQueue, type DeliveryQueue } from './platform/queue';
import { jobCountsByState, oldestWaitingJobAgeSeconds } from './platform/queue-stats';
import { createRedis, type Redis } from './platform/redis';
import { securityHeaders } from './platform/security-headers';
import { createWebhookQueue, WebhookDispatcher, type WebhookQueue } from './webhooks/queue';
import { webhookRoutes } from './webhooks/routes';
import { WebhookService } from './webhooks/service';
import { problemOfDomainError } from './problems';
import { ProviderEventService } from './provider-events/provider-event-service';
import { providerEventRoutes } from './provider-events/routes';
import { createRateLimits } from './rate-limits';
import { suppressionRoutes } from './suppressions/routes';
import { SuppressionCheck } from './suppressions/suppression-check';
import { SuppressionRepository } from './suppressions/suppression-repository';
import { SuppressionService } from './suppressions/suppression-service';
import { createEmailValidator } from './validation/create-validator';
import { DomainDns } from './validation/domain-dns';
import type { EmailValidator } from './validation/email-validator';
import { RecipientGuard } from './validation/recipient-guard';
import { ValidationJobStore } from './validation/job-store';
import { validationJobRoutes, validationRoutes } from './validation/routes';
import { ValidationJobs } from './validation/validation-jobs';
import { createValidationQueue, type ValidationQueue } from './validation/validation-queue';

const ACCEPT_CHECK_BUDGET_MS = 300;
import { templateRoutes } from './templates/routes';
import { TemplateRepository } from './templates/template-repository';
import { TemplateService } from './templates/template-service';

/** The long-lived connections one Herald process holds. */
export interface Infrastructure {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Db;
  /**
   * A small pool whose commits do not wait for the WAL flush (synchronous_commit off), for
   * opens and clicks: a Postgres crash may lose the last moment of them, never corrupt
   * anything, and each pixel or redirect is not held behind an fsync. Connects on first use.
   */
  readonly relaxedDb: Db;
  /** Fail-fast connection for producing jobs and health checks. */
  readonly redis: Redis;
  readonly queue: DeliveryQueue;
  /** The webhook deliveries' own queue (design/webhooks.md). */
  readonly webhookQueue: WebhookQueue;
  /** The producer of validation jobs (their own queue). */
  readonly validationQueue: ValidationQueue;
  /** This process's Prometheus registry, shared by its api and worker parts. */
  readonly metrics: HeraldMetrics;
  close(): Promise<void>;
}

/** Opens the database pool, a Redis connection and the delivery queue producer. */
export function openInfrastructure(config: Config, logger: Logger, options: { dbPoolSize?: number } = {}): Infrastructure {
  const db = createDb<Database>({ url: config.databaseUrl, max: options.dbPoolSize ?? 20 });
  const relaxedDb = createDb<Database>({ url: config.databaseUrl, max: 4, sessionSettings: { synchronous_commit: 'off' } });
  const redis = createRedis(config.redisUrl, { failFast: true });
  const queue = createDeliveryQueue(redis, config.queuePrefix);
  queue.on('error', (error) => logger.warn({ err: error }, 'queue connection error'));
  const webhookQueue = createWebhookQueue(redis, config.queuePrefix);
  webhookQueue.on('error', (error) => logger.warn({ err: error }, 'webhook queue connection error'));
  const validationQueue = createValidationQueue(redis, config.queuePrefix);
  validationQueue.on('error', (error) => logger.warn({ err: error }, 'validation queue connection error'));
  const metrics = new HeraldMetrics(
    {
      jobCounts: () => jobCountsByState(queue),
      oldestWaitingJobAgeSeconds: () => oldestWaitingJobAgeSeconds(queue),
      liveWorkers: () => liveWorkers(redis, config.queuePrefix),
    },
    { messageKinds: MESSAGE_KINDS, tryOutcomes: TRY_OUTCOMES },
    { onCollectError: (metric, error) => logger.warn({ err: error, metric }, 'metric not collected') },
  );
  return {
    config,
    logger,
    db,
    relaxedDb,
    redis,
    queue,
    webhookQueue,
    validationQueue,
    metrics,
    close: async () => {
      await queue.close().catch(() => undefined);
      await webhookQueue.close().catch(() => undefined);
      await validationQueue.close().catch(() => undefined);
      redis.disconnect();
      await relaxedDb.destroy();
      await db.destroy();
    },
  };
}

/** The application services, wired once per process. */
export interface Services {
  readonly authenticator: Authenticator;
  readonly apiKeys: ApiKeyRepository;
  readonly contact: ContactService;
  readonly notifications: NotificationService;
  readonly health: HealthService;
  readonly enqueuer: MessageEnqueuer;
  readonly actions: MessageActions;
  readonly accounts: AccountService;
  readonly identities: IdentityService;
  readonly webhooks: WebhookService;
  /** Enqueues the webhook deliveries a transition wrote. */
  readonly webhookDispatcher: WebhookDispatcher;
  readonly validator: EmailValidator;
  readonly validationJobs: ValidationJobs;
  readonly templates: TemplateService;
  readonly contacts: ContactsService;
  readonly conversions: ConversionService;
  /** Delivery events SendGrid and Mailgun post back. */
  readonly providerEvents: ProviderEventService;
  readonly suppressions: SuppressionService;
  /** The accept-time check; writers of suppressions in this process tell it (`noteSuppressed`) so it sees them at once. */
  readonly suppressionCheck: SuppressionCheck;
  /** The pixel, click redirects and one-click unsubscribe. */
  readonly engagement: EngagementService;
  readonly stats: StatsService;
}

export function createServices(infra: Infrastructure): Services {
  const { config, db, logger } = infra;
  const apiKeys = new ApiKeyRepository(db);
  const messages = new MessageRepository(db);
  const enqueuer = new MessageEnqueuer(infra.queue, db, config, logger, () => infra.redis.status === 'ready');
  const webhookDispatcher = new WebhookDispatcher(infra.webhookQueue, logger);
  const dispatch = (ids: readonly string[]) => webhookDispatcher.dispatch(ids);
  const acceptance = new MessageAcceptance(db, messages, enqueuer, logger, (kind, count) => infra.metrics.accepted(kind, count), dispatch);
  const users = new UserRepository(db);
  const identities = new IdentityService(new IdentityRepository(db), new IdentityCredentials(config), new IdentityVerificationMailer(acceptance), config);
  const accounts = new AccountService(
    users,
    new SessionRepository(db),
    new VerificationRepository(db),
    new VerificationMailer(acceptance, config),
    new LoginThrottle(infra.redis, config.queuePrefix, logger),
    infra.redis,
    config,
    logger,
    (userId) => identities.viewsOf(userId),
  );
  const templates = new TemplateService(new TemplateRepository(db));
  const contacts = new ContactsService(new ContactRepository(db));
  // One per process: what it remembers of who has suppressions is told of this process's own writes.
  const suppressionCheck = new SuppressionCheck(db);
  return {
    apiKeys,
    authenticator: new Authenticator(apiKeys, { jwtSecret: config.jwtSecret, adminKey: config.adminKey, users }),
    accounts,
    identities,
    contact: new ContactService(acceptance, new MessageReader(messages, 'contact', toContactView), config),
    notifications: new NotificationService(acceptance, new MessageReader(messages, 'notification', toNotificationView), new TemplatedComposer(templates, contacts), config, acceptRecipientCheck(infra), (userId) => identities.sendable(userId), suppressionCheck),
    health: new HealthService(db, infra.redis, config.queuePrefix),
    enqueuer,
    actions: new MessageActions(db, infra.queue, enqueuer, logger, dispatch),
    webhooks: new WebhookService(db, infra.webhookQueue, config),
    webhookDispatcher,
    validator: createEmailValidator(infra.redis, config, infra.metrics),
    validationJobs: new ValidationJobs(new ValidationJobStore(db), infra.validationQueue, logger),
    templates,
    contacts,
    conversions: new ConversionService(db, dispatch),
    providerEvents: new ProviderEventService(db, infra.redis, config, logger, dispatch),
    suppressions: new SuppressionService(new SuppressionRepository(db), suppressionCheck, config),
    suppressionCheck,
    engagement: new EngagementService(db, new EngagementRecorder(infra.relaxedDb, dispatch), new IpHasher(db), dispatch, (clientId) => suppressionCheck.noteSuppressed(clientId)),
    stats: new StatsService(db),
  };
}

/** The 300 ms recipient check of VALIDATION_POLICY accept; undefined otherwise, so accept pays nothing. */
function acceptRecipientCheck(infra: Infrastructure): RecipientCheck | undefined {
  if (infra.config.validation.policy !== 'accept') return undefined;
  const guard = new RecipientGuard(new DomainDns(infra.redis, infra.config, { onLookup: (source, status) => infra.metrics.dnsLookups.inc({ source, status }) }));
  return (recipients) => guard.undeliverable(recipients, ACCEPT_CHECK_BUDGET_MS);
}

/** The HTTP API: every route of DESIGN section 6 behind the shared middleware. */
export function createApiApp(infra: Infrastructure, services: Services): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', infra.config.trustProxy);
  app.set('query parser', 'simple');
  app.use(httpMetrics(infra.metrics));
  app.use(requestId());
  app.use(accessLog(infra.logger));
  app.use(securityHeaders());
  const bodyBudget = new BodyBudget(infra.config.maxBodyBytesInFlight);
  infra.metrics.watchBodyBudget(bodyBudget);
  app.use(useBodyBudget(bodyBudget));
  const limits = createRateLimits(infra.redis, infra.logger, infra.config);
  app.use(healthRoutes(services.health));
  // Public and hot: before the rate limiters and body parsers of the API routes.
  app.use(engagementRoutes(services.engagement, infra.logger));
  app.use(docsRoutes());
  app.use(
    contactRoutes(services.contact, services.authenticator, {
      rateLimit: limits.contact,
      allowedOrigins: infra.config.contactAllowedOrigins,
      redirectAllowlist: infra.config.contactRedirectAllowlist,
    }),
  );
  app.use(notificationRoutes(services.notifications, services.authenticator, { rateLimit: limits.notify, batchRateLimit: limits.notifyBatch }));
  app.use(messageActionRoutes(services.actions, services.authenticator));
  app.use(
    accountRoutes(services.accounts, services.authenticator, {
      publicRateLimit: limits.accountsPublic,
      publicUrl: infra.config.publicUrl,
      refreshTokenTtlS: infra.config.accounts.refreshTokenTtlS,
      registration: infra.config.accounts.registration,
    }),
  );
  app.use(identityRoutes(services.identities, services.authenticator));
  app.use(webhookRoutes(services.webhooks, services.authenticator));
  app.use(validationRoutes(services.validator, services.authenticator, limits));
  app.use(validationJobRoutes(services.validationJobs, services.authenticator, limits));
  app.use(templateRoutes(services.templates, services.contacts, services.authenticator));
  app.use(contactsRoutes(services.contacts, services.authenticator));
  app.use(conversionRoutes(services.conversions, services.authenticator));
  app.use(providerEventRoutes(services.providerEvents));
  app.use(suppressionRoutes(services.suppressions, services.authenticator));
  app.use(statsRoutes(services.stats, services.authenticator));
  app.use(metricsRoutes(infra.metrics, infra.config.metricsToken));
  app.use(adminRoutes(new AdminOverview(infra.db, infra.queue, infra.metrics, () => liveWorkers(infra.redis, infra.config.queuePrefix)), services.apiKeys, services.authenticator));
  app.use(queueDashboard(infra.queue, services.authenticator));
  app.use(consoleRoutes());
  app.use(notFoundHandler());
  app.use(errorHandler(infra.logger, problemOfDomainError));
  return app;
}
