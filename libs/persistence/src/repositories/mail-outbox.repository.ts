import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { Statement } from '../atomic-statements.js';
import { databaseNowMs, executeSql } from '../sql.js';

/** A mail to queue: rendered, addressed, and the account it concerns (null: none). */
export interface QueuedMail {
  readonly userId: string | null;
  readonly recipient: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** A mail this process has leased: send it, then report with markSent or retryLater. */
export interface ClaimedMail extends QueuedMail {
  readonly id: string;
  readonly claimId: string;
  /** Attempts started so far, this one included. */
  readonly attempts: number;
}

export interface MailOutboxStatus {
  readonly pending: number;
  readonly failing: number;
}

export type MailRetryOutcome = 'retrying' | 'given_up' | 'lost_claim';

/**
 * The mail outbox (migration 1765000000000). A mail is queued by a statement the caller runs
 * in the same transaction as the change that causes it (`queueStatement`), and deleted once
 * sent or given up. Times are the database's clock; every change to a claimed row is
 * conditional on this process's claim, so several processes can work the table.
 */
@Injectable()
export class MailOutboxRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The INSERT that queues `mail`, due at once (run it with runAtomically beside the change). */
  queueStatement(mail: QueuedMail): Statement {
    const now = databaseNowMs(this.dataSource);
    return {
      sql: `INSERT INTO mail_outbox (id, user_id, recipient, subject, text_body, html_body, attempts, created_at, next_attempt_at)
            VALUES (:id, :userId, :recipient, :subject, :text, :html, 0, ${now}, ${now})`,
      parameters: { id: randomUUID(), ...mail },
    };
  }

  /** Deletes the account's queued mails (with the account). */
  deleteForUserStatement(userId: string): Statement {
    return { sql: 'DELETE FROM mail_outbox WHERE user_id = :userId', parameters: { userId } };
  }

  /**
   * Leases up to `limit` due mails for `leaseMs` in one conditional UPDATE: a row another process
   * leased a moment earlier no longer matches, so two processes do not normally send one mail
   * (at-least-once allows it after a lease runs out mid-send).
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedMail[]> {
    const now = databaseNowMs(this.dataSource);
    const claimId = randomUUID();
    const due = `next_attempt_at <= ${now} AND (claimed_until IS NULL OR claimed_until <= ${now})`;
    const { rows } = await executeSql(
      this.dataSource,
      `UPDATE mail_outbox SET claimed_until = ${now} + :leaseMs, claim_id = :claimId, attempts = attempts + 1
       WHERE id IN (SELECT id FROM mail_outbox WHERE ${due} ORDER BY next_attempt_at LIMIT :limit) AND ${due}
       RETURNING id, user_id, recipient, subject, text_body, html_body, attempts`,
      { leaseMs, claimId, limit },
    );
    return rows.map((row) => ({
      id: String(row.id),
      claimId,
      attempts: Number(row.attempts),
      userId: row.user_id === null ? null : String(row.user_id),
      recipient: String(row.recipient),
      subject: String(row.subject),
      text: String(row.text_body),
      html: String(row.html_body),
    }));
  }

  /** Sent: the row (and the link in it) goes. False when the claim was lost (another process has it now). */
  async markSent(mail: ClaimedMail): Promise<boolean> {
    const { affected } = await executeSql(this.dataSource, 'DELETE FROM mail_outbox WHERE id = :id AND claim_id = :claimId', {
      id: mail.id,
      claimId: mail.claimId,
    });
    return affected > 0;
  }

  /** Failed: due again in `delayMs`, or given up (deleted) once it was queued more than `giveUpAfterMs` ago. */
  async retryLater(mail: ClaimedMail, delayMs: number, giveUpAfterMs: number, error: string): Promise<MailRetryOutcome> {
    const now = databaseNowMs(this.dataSource);
    const claim = { id: mail.id, claimId: mail.claimId };
    const retried = await executeSql(
      this.dataSource,
      `UPDATE mail_outbox SET next_attempt_at = ${now} + :delayMs, claimed_until = NULL, claim_id = NULL, last_error = :error
       WHERE id = :id AND claim_id = :claimId AND created_at + :giveUpAfterMs > ${now}`,
      { ...claim, delayMs, giveUpAfterMs, error: error.slice(0, 200) },
    );
    if (retried.affected > 0) return 'retrying';
    const given = await executeSql(this.dataSource, 'DELETE FROM mail_outbox WHERE id = :id AND claim_id = :claimId', claim);
    return given.affected > 0 ? 'given_up' : 'lost_claim';
  }

  /** Still to send, and of those, how many have failed at least once. */
  async status(): Promise<MailOutboxStatus> {
    const { rows } = await executeSql(
      this.dataSource,
      'SELECT COUNT(*) AS pending, COUNT(CASE WHEN last_error IS NOT NULL THEN 1 END) AS failing FROM mail_outbox',
    );
    return { pending: Number(rows[0]?.pending ?? 0), failing: Number(rows[0]?.failing ?? 0) };
  }
}
