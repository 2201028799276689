import { sqlStatement } from './sql-statement.js';

// The SET queue of the Shared Signals transmitter (migration 1765500000000). Push rows are an
// outbox like webhook_deliveries: every statement compares times on the database's clock and
// changes a claimed row only under the caller's claim, so several processes work one table.

/** Push streams' delivery method, passed as `:pushMethod`: a literal's colons would read as parameters. */
export const PUSH_METHOD = 'urn:ietf:rfc:8935';

/** A push row another process has not leased, due now, of an enabled push stream (paused streams hold theirs). */
const due = (nowMs: string) => `e.next_attempt_at <= ${nowMs} AND (e.claimed_until IS NULL OR e.claimed_until <= ${nowMs})
  AND s.status = 'enabled' AND s.delivery_method = :pushMethod`;

/** Whether any push SET is due: a read (no write lock on SQLite) before claiming, several times a second. */
export const ANY_SET_DUE = sqlStatement<{ pushMethod: string }>(
  'ssf_events.any_due',
  ({ nowMs }) => `SELECT e.id FROM ssf_events e JOIN ssf_streams s ON s.id = e.stream_id WHERE ${due(nowMs)} LIMIT 1`,
);

/** Leases up to `limit` due push SETs for `leaseMs` (one conditional UPDATE, as the webhook's claim). */
export const CLAIM_DUE_SETS = sqlStatement<{ leaseMs: number; claimId: string; limit: number; pushMethod: string }>(
  'ssf_events.claim_due',
  ({ nowMs }) => `UPDATE ssf_events SET claimed_until = ${nowMs} + :leaseMs, claim_id = :claimId, attempts = attempts + 1
    WHERE id IN (SELECT e.id FROM ssf_events e JOIN ssf_streams s ON s.id = e.stream_id WHERE ${due(nowMs)}
                 ORDER BY e.next_attempt_at LIMIT :limit)
      AND next_attempt_at <= ${nowMs} AND (claimed_until IS NULL OR claimed_until <= ${nowMs})
    RETURNING id, attempts`,
);

/** Delivered (a 202); changes nothing when the claim was lost. */
export const MARK_SET_DELIVERED = sqlStatement<{ id: string; claimId: string }>(
  'ssf_events.mark_delivered',
  ({ nowMs }) => `UPDATE ssf_events
    SET delivered_at = ${nowMs}, next_attempt_at = NULL, claimed_until = NULL, claim_id = NULL, last_error = NULL
    WHERE id = :id AND claim_id = :claimId`,
);

/** Failed: due again in `delayMs`, or given up once queued more than `giveUpAfterMs` ago. No row: the claim was lost. */
export const RETRY_SET_LATER = sqlStatement<{ id: string; claimId: string; delayMs: number; giveUpAfterMs: number; error: string }>(
  'ssf_events.retry_later',
  ({ nowMs }) => `UPDATE ssf_events
    SET next_attempt_at = CASE WHEN created_at + :giveUpAfterMs <= ${nowMs} THEN NULL ELSE ${nowMs} + :delayMs END,
        claimed_until = NULL, claim_id = NULL, last_error = :error
    WHERE id = :id AND claim_id = :claimId
    RETURNING next_attempt_at`,
);

/** Forgets SETs delivered (or acknowledged) long ago, and any older than `pendingOlderThanMs` that nobody holds. */
export const PRUNE_SETS = sqlStatement<{ doneOlderThanMs: number; pendingOlderThanMs: number }>(
  'ssf_events.prune',
  ({ nowMs }) => `DELETE FROM ssf_events
    WHERE (delivered_at IS NOT NULL AND delivered_at < ${nowMs} - :doneOlderThanMs)
       OR (created_at < ${nowMs} - :pendingOlderThanMs AND (claimed_until IS NULL OR claimed_until <= ${nowMs}))`,
);

/** Poll (RFC 8936): the stream's oldest SETs not yet acknowledged, at most `limit`. */
export const UNACKNOWLEDGED_SETS = sqlStatement<{ streamId: string; limit: number }>(
  'ssf_events.unacknowledged',
  `SELECT id FROM ssf_events WHERE stream_id = :streamId AND delivered_at IS NULL ORDER BY created_at, id LIMIT :limit`,
);

/** Poll: acknowledges these SETs of the stream (RFC 8936 §2.4 `ack`, or `setErrs` with the error kept). */
export const ACKNOWLEDGE_SETS = sqlStatement<{ streamId: string; ids: string[]; error: string | null }>(
  'ssf_events.acknowledge',
  ({ nowMs, inList }) => `UPDATE ssf_events SET delivered_at = ${nowMs}, next_attempt_at = NULL, last_error = :error
    WHERE stream_id = :streamId AND delivered_at IS NULL AND ${inList('id', 'ids')}`,
);

/** A stream disabled: its undelivered SETs are dropped (SSF 1.0 §8.1.2). */
export const DROP_UNDELIVERED_SETS = sqlStatement<{ streamId: string }>(
  'ssf_events.drop_undelivered',
  `DELETE FROM ssf_events WHERE stream_id = :streamId AND delivered_at IS NULL`,
);

/**
 * A stream enabled again, or its delivery method changed: what it holds is due now (push) or
 * waits to be polled (poll). Given-up push rows stay given up.
 */
export const RESCHEDULE_UNDELIVERED_SETS = sqlStatement<{ streamId: string; push: number }>(
  'ssf_events.reschedule_undelivered',
  ({ nowMs }) => `UPDATE ssf_events
    SET next_attempt_at = CASE WHEN CAST(:push AS INTEGER) = 1 THEN ${nowMs} ELSE NULL END
    WHERE stream_id = :streamId AND delivered_at IS NULL AND (next_attempt_at IS NOT NULL OR last_error IS NULL)`,
);

/** Queues the verification SET (SSF 1.0 §8.1.4.2) for a stream. */
export const QUEUE_VERIFICATION_SET = sqlStatement<{ id: string; streamId: string; state: string | null; push: number }>(
  'ssf_events.queue_verification',
  ({ nowMs }) => `INSERT INTO ssf_events (id, stream_id, kind, state, occurred_at, created_at, attempts, next_attempt_at)
    VALUES (:id, :streamId, 'verification', :state, ${nowMs}, ${nowMs}, 0,
            CASE WHEN CAST(:push AS INTEGER) = 1 THEN ${nowMs} ELSE NULL END)`,
);

/** The SETs with what their stream says about delivering them (audience, method, endpoint, header, status). */
export const SETS_WITH_STREAMS = sqlStatement<{ ids: string[] }>(
  'ssf_events.with_streams',
  ({
    inList,
  }) => `SELECT e.id, e.stream_id, e.kind, e.user_id, e.device_id, e.reason, e.initiating_entity, e.state, e.occurred_at, e.created_at,
      s.audience, s.delivery_method, s.endpoint_url, s.authorization_header, s.status
    FROM ssf_events e JOIN ssf_streams s ON s.id = e.stream_id WHERE ${inList('e.id', 'ids')}`,
);
