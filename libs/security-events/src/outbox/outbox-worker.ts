import { Logger } from '@nestjs/common';
import { PeriodicTask } from '@app/platform';
import type { ClaimedDelivery, RetryOutcome } from '@app/persistence';
import { outboxRetryDelayMs } from './outbox-retry.js';

/**
 * A table of things to send to someone outside, worked by every process at once: rows are
 * leased (a crashed process's lease lapses and another sends the row again), marked done only
 * after the receiver accepted them, and retried with backoff until given up. The security
 * webhook's `webhook_deliveries` and the Shared Signals SET queue are two of these.
 */
export interface OutboxQueue {
  /** Cheap "is anything due?" (a read), so idle rounds take no write lock; absent: always claim. */
  anyDue?(): Promise<boolean>;
  claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]>;
  markDelivered(claim: ClaimedDelivery): Promise<boolean>;
  retryLater(claim: ClaimedDelivery, delayMs: number, giveUpAfterMs: number, error: string): Promise<RetryOutcome>;
  prune(doneOlderThanMs: number, pendingOlderThanMs: number): Promise<number>;
}

/** Sends one round's claims; for each (same order), null when it was accepted, else why not. */
export type OutboxSend = (claims: readonly ClaimedDelivery[], shutdown: AbortSignal) => Promise<(string | null)[]>;

export interface OutboxWorkerSettings {
  /** What is delivered, for the log: "security webhook". */
  readonly what: string;
  /** The logging context (the owning class's name). */
  readonly context: string;
  /** How often each process looks for due rows. */
  readonly pollIntervalMs: number;
  /** Rows sent at once by one process per round. */
  readonly batchSize: number;
  /** A claim outlives any attempt by far, so it lapses only when its process died. */
  readonly leaseMs: number;
  /** A row its receiver has refused for this long is given up (logged as an error). */
  readonly giveUpAfterMs: number;
  /** Done or given-up rows are kept this long (to look into), then deleted. */
  readonly keepDoneMs: number;
}

const PRUNE_INTERVAL_MS = 10 * 60_000;

/**
 * The background sender of an {@link OutboxQueue}: one round every `pollIntervalMs` (or at once
 * when woken), never two at once in a process; failures wait 1 s, 2 s, 4 s … (capped at
 * 10 minutes, with jitter: outboxRetryDelayMs). Nothing on a request's path waits for
 * it. At shutdown the requests in flight are aborted and their rows retried later.
 */
export class OutboxWorker {
  private readonly logger: Logger;
  private readonly delivery: PeriodicTask;
  private readonly pruning: PeriodicTask;
  /** The round under way (or the last one), for shutdown to wait for. */
  private round: Promise<unknown> = Promise.resolve();
  private running = false;
  /** Woken while a round ran: run another right after it. */
  private again = false;
  private delivering = false;
  private readonly shutdown = new AbortController();

  constructor(
    private readonly settings: OutboxWorkerSettings,
    private readonly queue: OutboxQueue,
    private readonly send: OutboxSend,
  ) {
    this.logger = new Logger(settings.context);
    this.delivery = new PeriodicTask(`deliver ${settings.what}`, settings.pollIntervalMs, () => this.roundNow(), settings.context);
    this.pruning = new PeriodicTask(`prune ${settings.what}`, PRUNE_INTERVAL_MS, () => this.prune(), settings.context);
  }

  /** Starts pruning, and delivering when `deliver` (a process without a receiver only keeps the table bounded). */
  start(deliver: boolean): void {
    if (deliver) {
      this.delivering = true;
      this.delivery.start();
    }
    this.pruning.start();
  }

  /** Stops both tasks, aborts the requests in flight and waits for the round to record its outcomes. */
  async stop(): Promise<void> {
    this.delivering = false;
    this.delivery.stop();
    this.pruning.stop();
    this.shutdown.abort();
    await this.round.catch(() => undefined);
  }

  /** Something may have become due: a round now (or right after the one under way) instead of at the next tick. */
  wake(): void {
    if (!this.delivering) return;
    if (this.running) this.again = true;
    else void this.roundNow();
  }

  /** One round: claims what is due, sends it, records each outcome; returns how many were attempted. */
  async deliverDue(): Promise<number> {
    if (this.queue.anyDue && !(await this.queue.anyDue())) return 0;
    const claimed = await this.queue.claimDue(this.settings.batchSize, this.settings.leaseMs);
    if (claimed.length === 0) return 0;
    let failures: (string | null)[];
    try {
      failures = await this.send(claimed, this.shutdown.signal);
    } catch (error) {
      failures = claimed.map(() => `could not send: ${(error as Error).message}`);
    }
    await Promise.all(claimed.map((claim, index) => this.record(claim, failures[index] ?? null)));
    return claimed.length;
  }

  prune(): Promise<number> {
    return this.queue.prune(this.settings.keepDoneMs, this.settings.giveUpAfterMs + this.settings.leaseMs);
  }

  private async roundNow(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      do {
        this.again = false;
        this.round = this.deliverDue();
        await this.round.catch((error: unknown) =>
          this.logger.warn(`Could not deliver ${this.settings.what}: ${(error as Error).message}`),
        );
      } while (this.again && this.delivering);
    } finally {
      this.running = false;
    }
  }

  private async record(claim: ClaimedDelivery, failure: string | null): Promise<void> {
    try {
      if (failure === null) {
        await this.queue.markDelivered(claim);
        return;
      }
      const delayMs = outboxRetryDelayMs(claim.attempts);
      const outcome = await this.queue.retryLater(claim, delayMs, this.settings.giveUpAfterMs, failure);
      const what = `${this.settings.what} ${claim.id}, attempt ${claim.attempts}: ${failure}`;
      if (outcome === 'given_up') this.logger.error(`Gave up the ${what}; no more attempts`);
      // A receiver down for a day would otherwise log every row ~150 times: the first failure and every tenth.
      else if (outcome === 'retrying' && (claim.attempts === 1 || claim.attempts % 10 === 0))
        this.logger.warn(`Failed ${what}; retrying with backoff (next in ${Math.round(delayMs / 1000)} s)`);
    } catch (error) {
      // The claim lapses and the row is tried again; only the bookkeeping failed.
      this.logger.warn(`Could not record the outcome of ${this.settings.what} ${claim.id}: ${(error as Error).message}`);
    }
  }
}
