import { sqlStatement } from './sql-statement.js';

// The webhook outbox (rows added by a trigger, see the 1764800000000 migration). Every statement
// compares times on the database's clock and changes a row only under the caller's claim, so
// several processes can work the same table.

/**
 * Leases up to `limit` due deliveries for `leaseMs` in one conditional UPDATE: a row another
 * process leased a moment earlier no longer matches, so two processes do not normally send the
 * same event (at-least-once allows it after a lease runs out mid-attempt).
 */
export const CLAIM_DUE_DELIVERIES = sqlStatement<{ leaseMs: number; claimId: string; limit: number }>(
  'webhook_deliveries.claim_due',
  ({ nowMs }) => {
    const due = `next_attempt_at <= ${nowMs} AND (claimed_until IS NULL OR claimed_until <= ${nowMs})`;
    return `UPDATE webhook_deliveries SET claimed_until = ${nowMs} + :leaseMs, claim_id = :claimId, attempts = attempts + 1
      WHERE id IN (SELECT id FROM webhook_deliveries WHERE ${due} ORDER BY next_attempt_at LIMIT :limit) AND ${due}
      RETURNING id, attempts`;
  },
);

/** Done: nothing more to send; changes nothing when the claim was lost. */
export const MARK_DELIVERED = sqlStatement<{ id: string; claimId: string }>(
  'webhook_deliveries.mark_delivered',
  ({ nowMs }) => `UPDATE webhook_deliveries
    SET delivered_at = ${nowMs}, next_attempt_at = NULL, claimed_until = NULL, claim_id = NULL, last_error = NULL
    WHERE id = :id AND claim_id = :claimId`,
);

/**
 * Failed: due again in `delayMs`, or given up (next_attempt_at null, the error kept) when the
 * event was queued more than `giveUpAfterMs` ago. No row returned: the claim was lost.
 */
export const RETRY_DELIVERY_LATER = sqlStatement<{ id: string; claimId: string; delayMs: number; giveUpAfterMs: number; error: string }>(
  'webhook_deliveries.retry_later',
  ({ nowMs }) => `UPDATE webhook_deliveries
    SET next_attempt_at = CASE WHEN created_at + :giveUpAfterMs <= ${nowMs} THEN NULL ELSE ${nowMs} + :delayMs END,
        claimed_until = NULL, claim_id = NULL, last_error = :error
    WHERE id = :id AND claim_id = :claimId
    RETURNING next_attempt_at`,
);

/**
 * Forgets deliveries that are done and older than `doneOlderThanMs`, and unclaimed pending ones
 * older than `pendingOlderThanMs`.
 */
export const PRUNE_DELIVERIES = sqlStatement<{ doneOlderThanMs: number; pendingOlderThanMs: number }>(
  'webhook_deliveries.prune',
  ({ nowMs }) => `DELETE FROM webhook_deliveries
    WHERE (next_attempt_at IS NULL AND created_at < ${nowMs} - :doneOlderThanMs)
       OR (created_at < ${nowMs} - :pendingOlderThanMs AND (claimed_until IS NULL OR claimed_until <= ${nowMs}))`,
);
