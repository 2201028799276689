import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, type SecurityWebhookTarget } from '@app/platform';
import { SecurityEventRepository, WebhookDeliveryRepository, type ClaimedDelivery, type SecurityEventEntity } from '@app/persistence';
import { OutboxWorker } from '../outbox/outbox-worker.js';
import { postOutboxRequest } from '../outbox/outbox-request.js';
import { securityWebhookBody, signSecurityWebhookBody } from './security-webhook-body.js';

/**
 * Sends the queued security events (webhook_deliveries, filled by a trigger as events are
 * recorded) to SECURITY_WEBHOOK_URL, from a background task in every API and dashboard process
 * (an OutboxWorker: polled every second, 20 at a time, leased for a minute, given up after 24 h,
 * kept 7 days). Nothing on a request's path waits for it: a receiver that is slow, down or
 * refusing costs the request nothing, and the event waits in the database (at-least-once: a
 * delivery is marked done only after a 2xx; a crash before that leaves a lease that lapses and
 * another process sends it again; receivers de-duplicate by `id`).
 */
@Injectable()
export class SecurityWebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly worker: OutboxWorker;
  private readonly userAgent: string;

  constructor(
    private readonly config: AppConfig,
    deliveries: WebhookDeliveryRepository,
    private readonly events: SecurityEventRepository,
  ) {
    this.userAgent = `${config.appName}/${config.appVersion} (security webhook)`;
    this.worker = new OutboxWorker(
      {
        what: 'security webhook for event',
        context: SecurityWebhookDispatcher.name,
        pollIntervalMs: 1000,
        batchSize: 20,
        leaseMs: 60_000,
        giveUpAfterMs: 24 * 60 * 60_000,
        keepDoneMs: 7 * 24 * 60 * 60_000,
      },
      deliveries,
      (claims, shutdown) => this.sendAll(claims, shutdown),
    );
  }

  onApplicationBootstrap(): void {
    // Without a webhook the trigger still queues (another process may have one): keep it bounded.
    this.worker.start(this.config.securityWebhook !== null);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.stop();
  }

  /** One round: claims what is due, sends it, records each outcome; returns how many were attempted. */
  deliverDue(): Promise<number> {
    return this.config.securityWebhook ? this.worker.deliverDue() : Promise.resolve(0);
  }

  prune(): Promise<number> {
    return this.worker.prune();
  }

  private async sendAll(claims: readonly ClaimedDelivery[], shutdown: AbortSignal): Promise<(string | null)[]> {
    const target = this.config.securityWebhook;
    if (!target) return claims.map(() => 'no SECURITY_WEBHOOK_URL');
    const events = new Map((await this.events.findByIds(claims.map((claim) => claim.id))).map((event) => [event.id, event]));
    // An event is gone only with its account (ON DELETE CASCADE removes its row too): nothing to say.
    return Promise.all(claims.map((claim) => this.send(target, events.get(claim.id), shutdown)));
  }

  private async send(target: SecurityWebhookTarget, event: SecurityEventEntity | undefined, shutdown: AbortSignal): Promise<string | null> {
    if (!event) return null;
    const body = securityWebhookBody(event);
    const headers = {
      'Content-Type': 'application/json',
      'User-Agent': this.userAgent,
      'X-Signature-256': signSecurityWebhookBody(body, target.secret),
    };
    return postOutboxRequest(target.url, { headers, body }, shutdown);
  }
}
