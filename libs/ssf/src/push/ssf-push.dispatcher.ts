import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@app/platform';
import { SsfEventRepository, type ClaimedDelivery, type QueuedSet } from '@app/persistence';
import { OutboxWorker, postOutboxRequest } from '@app/security-events';
import { setClaims } from '../events/security-event-token.js';
import { PUSH_DELIVERY } from '../events/ssf-event-types.js';
import { SetQueueWatch } from '../events/set-queue-watch.js';
import { SetSigner } from '../set-signer.js';

/**
 * RFC 8935 push delivery: the SETs queued for enabled push streams, POSTed as
 * `application/secevent+jwt` with the stream's `Authorization` header, from a background task
 * in every API process (the same OutboxWorker as the security webhook: leased, retried with
 * backoff for 24 h, at-least-once; receivers de-duplicate by `jti`). Only `202 Accepted` is
 * delivered (RFC 8935 §2.2); any other answer is retried. It looks every 250 ms, and at once
 * when this process revokes a device or hears of a revocation (SetQueueWatch), so a revocation
 * reaches a receiver within a second. Nothing on a request's path waits for it.
 */
@Injectable()
export class SsfPushDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly worker: OutboxWorker;
  private readonly userAgent: string;
  private unsubscribe: () => void = () => undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly sets: SsfEventRepository,
    private readonly signer: SetSigner,
    private readonly watch: SetQueueWatch,
  ) {
    this.userAgent = `${config.appName}/${config.appVersion} (SSF transmitter)`;
    this.worker = new OutboxWorker(
      {
        what: 'SSF push of SET',
        context: SsfPushDispatcher.name,
        pollIntervalMs: 250,
        batchSize: 20,
        // Three times the request timeout (5 s): it lapses only when its process died mid-attempt.
        leaseMs: 15_000,
        giveUpAfterMs: 24 * 60 * 60_000,
        keepDoneMs: 7 * 24 * 60 * 60_000,
      },
      sets,
      (claims, shutdown) => this.sendAll(claims, shutdown),
    );
  }

  onApplicationBootstrap(): void {
    this.worker.start(this.signer.available);
    this.unsubscribe = this.watch.onQueued(() => this.worker.wake());
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.unsubscribe();
    await this.worker.stop();
  }

  /** One round now (tests and the benchmark drive it too); returns how many SETs were attempted. */
  deliverDue(): Promise<number> {
    return this.signer.available ? this.worker.deliverDue() : Promise.resolve(0);
  }

  private async sendAll(claims: readonly ClaimedDelivery[], shutdown: AbortSignal): Promise<(string | null)[]> {
    const sets = new Map((await this.sets.findWithStreams(claims.map((claim) => claim.id))).map((set) => [set.id, set]));
    // A SET is gone only with its stream (deleted, or its receiver removed): nothing to send.
    return Promise.all(claims.map((claim) => this.send(sets.get(claim.id), shutdown)));
  }

  private async send(set: QueuedSet | undefined, shutdown: AbortSignal): Promise<string | null> {
    if (!set) return null;
    const { stream } = set;
    if (stream.deliveryMethod !== PUSH_DELIVERY || stream.endpointUrl === null) return null;
    // Paused or disabled since it was claimed: held (enabling makes it due again).
    if (stream.status !== 'enabled') return `stream ${stream.status}`;
    const body = await this.signer.sign(setClaims(set, this.config.jwt.issuer));
    const headers: Record<string, string> = {
      'Content-Type': 'application/secevent+jwt',
      Accept: 'application/json',
      'User-Agent': this.userAgent,
      ...(stream.authorizationHeader !== null ? { Authorization: stream.authorizationHeader } : {}),
    };
    return postOutboxRequest(stream.endpointUrl, { headers, body }, shutdown, (status) => status === 202);
  }
}
