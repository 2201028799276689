import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type Repository } from 'typeorm';
import { WebhookDeliveryEntity } from '../entities/webhook-delivery.entity.js';
import { SqlRunner } from '../sql/sql-runner.js';
import { CLAIM_DUE_DELIVERIES, MARK_DELIVERED, PRUNE_DELIVERIES, RETRY_DELIVERY_LATER } from '../sql/webhook-deliveries.sql.js';

/** A delivery this process has leased: send it, then report with markDelivered or retryLater. */
export interface ClaimedDelivery {
  /** The security event's id. */
  readonly id: string;
  readonly claimId: string;
  /** Attempts started so far, this one included. */
  readonly attempts: number;
}

export interface WebhookOutboxStatus {
  readonly pending: number;
  readonly failing: number;
  readonly givenUp: number;
}

/** What became of a failed delivery. */
export type RetryOutcome = 'retrying' | 'given_up' | 'lost_claim';

/**
 * The webhook outbox (rows added by a trigger, see the 1764800000000 migration); its statements,
 * all on the database's clock and under the caller's claim, are in sql/webhook-deliveries.sql.ts.
 */
@Injectable()
export class WebhookDeliveryRepository {
  private readonly deliveries: Repository<WebhookDeliveryEntity>;
  private readonly sql: SqlRunner;

  constructor(dataSource: DataSource) {
    this.deliveries = dataSource.getRepository(WebhookDeliveryEntity);
    this.sql = new SqlRunner(dataSource);
  }

  /**
   * Leases up to `limit` due deliveries for `leaseMs`: a row another process leased a moment
   * earlier no longer matches, so two processes do not normally send the same event.
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const claimId = randomUUID();
    const rows = await this.sql.rows(CLAIM_DUE_DELIVERIES, { leaseMs, claimId, limit });
    return rows.map((row) => ({ id: String(row.id), claimId, attempts: Number(row.attempts) }));
  }

  /** Done: nothing more to send. False when the claim was lost (another process has it now). */
  async markDelivered(delivery: ClaimedDelivery): Promise<boolean> {
    return (await this.sql.affected(MARK_DELIVERED, { id: delivery.id, claimId: delivery.claimId })) > 0;
  }

  /**
   * Failed: due again in `delayMs`, or given up (next_attempt_at null, the error kept) when the
   * event was queued more than `giveUpAfterMs` ago.
   */
  async retryLater(delivery: ClaimedDelivery, delayMs: number, giveUpAfterMs: number, error: string): Promise<RetryOutcome> {
    const rows = await this.sql.rows(RETRY_DELIVERY_LATER, {
      id: delivery.id,
      claimId: delivery.claimId,
      delayMs,
      giveUpAfterMs,
      error: error.slice(0, 200),
    });
    if (rows.length === 0) return 'lost_claim';
    return rows[0].next_attempt_at === null ? 'given_up' : 'retrying';
  }

  /**
   * Forgets deliveries that are done and older than `doneOlderThanMs`, and pending ones older
   * than `pendingOlderThanMs` (queued while no process had SECURITY_WEBHOOK_URL: the trigger
   * queues regardless, so that no process's configuration can lose another's events).
   */
  prune(doneOlderThanMs: number, pendingOlderThanMs: number): Promise<number> {
    return this.sql.affected(PRUNE_DELIVERIES, { doneOlderThanMs, pendingOlderThanMs });
  }

  /** How the outbox stands: still to send (and of those, how many have failed at least once), and given up. */
  async status(): Promise<WebhookOutboxStatus> {
    const row = await this.deliveries
      .createQueryBuilder('delivery')
      .select('COUNT(CASE WHEN delivery.nextAttemptAt IS NOT NULL THEN 1 END)', 'pending')
      .addSelect('COUNT(CASE WHEN delivery.nextAttemptAt IS NOT NULL AND delivery.lastError IS NOT NULL THEN 1 END)', 'failing')
      .addSelect('COUNT(CASE WHEN delivery.nextAttemptAt IS NULL AND delivery.deliveredAt IS NULL THEN 1 END)', 'given_up')
      .getRawOne<{ pending: unknown; failing: unknown; given_up: unknown }>();
    return { pending: Number(row?.pending ?? 0), failing: Number(row?.failing ?? 0), givenUp: Number(row?.given_up ?? 0) };
  }
}
