import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { databaseNowMs, executeSql } from '../sql.js';

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
 * The webhook outbox (rows added by a trigger, see the 1764800000000 migration). Every
 * statement compares times on the database's clock and changes a row only under this
 * process's claim, so several processes can work the same table.
 */
@Injectable()
export class WebhookDeliveryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Leases up to `limit` due deliveries for `leaseMs` in one conditional UPDATE: a row another
   * process leased a moment earlier no longer matches, so two processes do not normally send
   * the same event (at-least-once allows it after a lease runs out mid-attempt).
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const now = databaseNowMs(this.dataSource);
    const claimId = randomUUID();
    const due = `next_attempt_at <= ${now} AND (claimed_until IS NULL OR claimed_until <= ${now})`;
    const { rows } = await executeSql(
      this.dataSource,
      `UPDATE webhook_deliveries SET claimed_until = ${now} + :leaseMs, claim_id = :claimId, attempts = attempts + 1
       WHERE id IN (SELECT id FROM webhook_deliveries WHERE ${due} ORDER BY next_attempt_at LIMIT :limit) AND ${due}
       RETURNING id, attempts`,
      { leaseMs, claimId, limit },
    );
    return rows.map((row) => ({ id: String(row.id), claimId, attempts: Number(row.attempts) }));
  }

  /** Done: nothing more to send. False when the claim was lost (another process has it now). */
  async markDelivered(delivery: ClaimedDelivery): Promise<boolean> {
    const now = databaseNowMs(this.dataSource);
    const { affected } = await executeSql(
      this.dataSource,
      `UPDATE webhook_deliveries SET delivered_at = ${now}, next_attempt_at = NULL, claimed_until = NULL, claim_id = NULL, last_error = NULL
       WHERE id = :id AND claim_id = :claimId`,
      { id: delivery.id, claimId: delivery.claimId },
    );
    return affected > 0;
  }

  /**
   * Failed: due again in `delayMs`, or given up (next_attempt_at null, the error kept) when the
   * event was queued more than `giveUpAfterMs` ago.
   */
  async retryLater(delivery: ClaimedDelivery, delayMs: number, giveUpAfterMs: number, error: string): Promise<RetryOutcome> {
    const now = databaseNowMs(this.dataSource);
    const { rows } = await executeSql(
      this.dataSource,
      `UPDATE webhook_deliveries
       SET next_attempt_at = CASE WHEN created_at + :giveUpAfterMs <= ${now} THEN NULL ELSE ${now} + :delayMs END,
           claimed_until = NULL, claim_id = NULL, last_error = :error
       WHERE id = :id AND claim_id = :claimId
       RETURNING next_attempt_at`,
      { id: delivery.id, claimId: delivery.claimId, delayMs, giveUpAfterMs, error: error.slice(0, 200) },
    );
    if (rows.length === 0) return 'lost_claim';
    return rows[0].next_attempt_at === null ? 'given_up' : 'retrying';
  }

  /**
   * Forgets deliveries that are done and older than `doneOlderThanMs`, and pending ones older
   * than `pendingOlderThanMs` (queued while no process had SECURITY_WEBHOOK_URL: the trigger
   * queues regardless, so that no process's configuration can lose another's events).
   */
  async prune(doneOlderThanMs: number, pendingOlderThanMs: number): Promise<number> {
    const now = databaseNowMs(this.dataSource);
    const { affected } = await executeSql(
      this.dataSource,
      `DELETE FROM webhook_deliveries
       WHERE (next_attempt_at IS NULL AND created_at < ${now} - :doneOlderThanMs)
          OR (created_at < ${now} - :pendingOlderThanMs AND (claimed_until IS NULL OR claimed_until <= ${now}))`,
      { doneOlderThanMs, pendingOlderThanMs },
    );
    return affected;
  }

  /** How the outbox stands: still to send (and of those, how many have failed at least once), and given up. */
  async status(): Promise<WebhookOutboxStatus> {
    const { rows } = await executeSql(
      this.dataSource,
      `SELECT
         COUNT(CASE WHEN next_attempt_at IS NOT NULL THEN 1 END) AS pending,
         COUNT(CASE WHEN next_attempt_at IS NOT NULL AND last_error IS NOT NULL THEN 1 END) AS failing,
         COUNT(CASE WHEN next_attempt_at IS NULL AND delivered_at IS NULL THEN 1 END) AS given_up
       FROM webhook_deliveries`,
    );
    const row = rows[0] ?? {};
    return { pending: Number(row.pending ?? 0), failing: Number(row.failing ?? 0), givenUp: Number(row.given_up ?? 0) };
  }
}
