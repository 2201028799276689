import { sqlStatement } from './sql-statement.js';

/** Queues a mail, due at once by the database's clock. */
export const QUEUE_MAIL = sqlStatement<{
  id: string;
  userId: string | null;
  recipient: string;
  subject: string;
  text: string;
  html: string;
}>(
  'mail_outbox.queue',
  ({ nowMs }) => `INSERT INTO mail_outbox (id, user_id, recipient, subject, text_body, html_body, attempts, created_at, next_attempt_at)
    VALUES (:id, :userId, :recipient, :subject, :text, :html, 0, ${nowMs}, ${nowMs})`,
);

export const DELETE_MAILS_OF_USER = sqlStatement<{ userId: string }>(
  'mail_outbox.delete_of_user',
  'DELETE FROM mail_outbox WHERE user_id = :userId',
);

/**
 * Leases up to `limit` due mails for `leaseMs` in one conditional UPDATE: a row another process
 * leased a moment earlier no longer matches, so two processes do not normally send one mail.
 */
export const CLAIM_DUE_MAILS = sqlStatement<{ leaseMs: number; claimId: string; limit: number }>('mail_outbox.claim_due', ({ nowMs }) => {
  const due = `next_attempt_at <= ${nowMs} AND (claimed_until IS NULL OR claimed_until <= ${nowMs})`;
  return `UPDATE mail_outbox SET claimed_until = ${nowMs} + :leaseMs, claim_id = :claimId, attempts = attempts + 1
    WHERE id IN (SELECT id FROM mail_outbox WHERE ${due} ORDER BY next_attempt_at LIMIT :limit) AND ${due}
    RETURNING id, user_id, recipient, subject, text_body, html_body, attempts`;
});

/** Deletes a mail this claim still holds (sent, or given up). */
export const DELETE_CLAIMED_MAIL = sqlStatement<{ id: string; claimId: string }>(
  'mail_outbox.delete_claimed',
  'DELETE FROM mail_outbox WHERE id = :id AND claim_id = :claimId',
);

/** Due again in `delayMs`, unless it was queued more than `giveUpAfterMs` ago (then nothing changes). */
export const RETRY_MAIL_LATER = sqlStatement<{ id: string; claimId: string; delayMs: number; giveUpAfterMs: number; error: string }>(
  'mail_outbox.retry_later',
  ({ nowMs }) => `UPDATE mail_outbox SET next_attempt_at = ${nowMs} + :delayMs, claimed_until = NULL, claim_id = NULL, last_error = :error
    WHERE id = :id AND claim_id = :claimId AND created_at + :giveUpAfterMs > ${nowMs}`,
);

export const MAIL_OUTBOX_STATUS = sqlStatement(
  'mail_outbox.status',
  'SELECT COUNT(*) AS pending, COUNT(CASE WHEN last_error IS NOT NULL THEN 1 END) AS failing FROM mail_outbox',
);
