import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, PeriodicTask, type SecurityWebhookTarget } from '@app/platform';
import { SecurityEventRepository, WebhookDeliveryRepository, type ClaimedDelivery, type SecurityEventEntity } from '@app/persistence';
import { securityWebhookBody, signSecurityWebhookBody } from './security-webhook-body.js';
import { securityWebhookRetryDelayMs } from './security-webhook-retry.js';

/** How often each process looks for due deliveries ("delivered within seconds"). */
const POLL_INTERVAL_MS = 1000;
/** Longest wait for a receiver's answer; then the attempt failed and is retried. */
const REQUEST_TIMEOUT_MS = 5000;
/** A claim outlives any attempt (the timeout) by far, so it lapses only when its process died. */
const LEASE_MS = 60_000;
/** Deliveries sent at once by one process per round. */
const BATCH_SIZE = 20;
/** An event its receiver has refused for this long is given up (logged as an error). */
const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;
/** Delivered or given-up rows are kept this long (to look into), then deleted. */
const KEEP_DONE_MS = 7 * 24 * 60 * 60_000;
const PRUNE_INTERVAL_MS = 10 * 60_000;

/**
 * Sends the queued security events (webhook_deliveries, filled by a trigger as events are
 * recorded) to SECURITY_WEBHOOK_URL, from a background task in every API and dashboard process.
 * Nothing on a request's path waits for it: a receiver that is slow, down or refusing costs the
 * request nothing, and the event waits in the database (at-least-once: a delivery is marked
 * done only after a 2xx; a crash before that leaves a lease that lapses and another process
 * sends it again; receivers de-duplicate by `id`).
 */
@Injectable()
export class SecurityWebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SecurityWebhookDispatcher.name);
  private readonly delivery = new PeriodicTask(
    'deliver security webhooks',
    POLL_INTERVAL_MS,
    () => (this.round = this.deliverDue()),
    SecurityWebhookDispatcher.name,
  );
  /** The task's round under way (or the last one), for shutdown to wait for. */
  private round: Promise<unknown> = Promise.resolve();
  private readonly pruning = new PeriodicTask(
    'prune webhook deliveries',
    PRUNE_INTERVAL_MS,
    () => this.prune(),
    SecurityWebhookDispatcher.name,
  );
  /** Aborts the requests in flight when the app shuts down (their claims are released for a retry). */
  private readonly shutdown = new AbortController();
  private readonly userAgent: string;

  constructor(
    private readonly config: AppConfig,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly events: SecurityEventRepository,
  ) {
    this.userAgent = `${config.appName}/${config.appVersion} (security webhook)`;
  }

  onApplicationBootstrap(): void {
    if (this.config.securityWebhook) this.delivery.start();
    // Without a webhook the trigger still queues (another process may have one): keep it bounded.
    this.pruning.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.delivery.stop();
    this.pruning.stop();
    this.shutdown.abort();
    // Let the round in flight record its outcomes while the database is still open.
    await this.round.catch(() => undefined);
  }

  /** One round: claims what is due, sends it, records each outcome; returns how many were attempted. */
  async deliverDue(): Promise<number> {
    const target = this.config.securityWebhook;
    if (!target) return 0;
    const claimed = await this.deliveries.claimDue(BATCH_SIZE, LEASE_MS);
    if (claimed.length === 0) return 0;
    const events = new Map((await this.events.findByIds(claimed.map((delivery) => delivery.id))).map((event) => [event.id, event]));
    await Promise.all(claimed.map((delivery) => this.attempt(target, delivery, events.get(delivery.id))));
    return claimed.length;
  }

  prune(): Promise<number> {
    return this.deliveries.prune(KEEP_DONE_MS, GIVE_UP_AFTER_MS + LEASE_MS);
  }

  private async attempt(target: SecurityWebhookTarget, delivery: ClaimedDelivery, event: SecurityEventEntity | undefined): Promise<void> {
    // The event is gone only with its account (ON DELETE CASCADE removes this row too): nothing to say.
    const failure = event ? await this.send(target, event) : null;
    try {
      if (failure === null) {
        await this.deliveries.markDelivered(delivery);
        return;
      }
      const delayMs = securityWebhookRetryDelayMs(delivery.attempts);
      const outcome = await this.deliveries.retryLater(delivery, delayMs, GIVE_UP_AFTER_MS, failure);
      const what = `security webhook for event ${delivery.id} (${event?.type}), attempt ${delivery.attempts}: ${failure}`;
      if (outcome === 'given_up') this.logger.error(`Gave up the ${what}; no more attempts`);
      // A receiver down for a day would otherwise log every event ~150 times: the first failure and every tenth.
      else if (outcome === 'retrying' && (delivery.attempts === 1 || delivery.attempts % 10 === 0))
        this.logger.warn(`Failed ${what}; retrying with backoff (next in ${Math.round(delayMs / 1000)} s)`);
    } catch (error) {
      // The claim lapses and the delivery is tried again; only the bookkeeping failed.
      this.logger.warn(`Could not record the outcome of the security webhook for event ${delivery.id}: ${(error as Error).message}`);
    }
  }

  /** POSTs the event; null when the receiver answered 2xx, else why not (never the URL: its query may hold a token). */
  private async send(target: SecurityWebhookTarget, event: SecurityEventEntity): Promise<string | null> {
    const body = securityWebhookBody(event);
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': this.userAgent,
          'X-Signature-256': signSecurityWebhookBody(body, target.secret),
        },
        body,
        // A redirect is a failure: following it would turn the POST into a GET, or send the event elsewhere.
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(REQUEST_TIMEOUT_MS), this.shutdown.signal]),
      });
      // Frees the connection; the receiver's body means nothing to us.
      await response.body?.cancel().catch(() => undefined);
      return response.ok ? null : `HTTP ${response.status}`;
    } catch (error) {
      return describeFailure(error);
    }
  }
}

function describeFailure(error: unknown): string {
  const failure = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (failure.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  if (failure.name === 'AbortError') return 'aborted at shutdown';
  return failure.cause?.code ?? failure.cause?.message ?? failure.message ?? String(error);
}
