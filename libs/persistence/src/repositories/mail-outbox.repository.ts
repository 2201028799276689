import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  CLAIM_DUE_MAILS,
  DELETE_CLAIMED_MAIL,
  DELETE_MAILS_OF_USER,
  MAIL_OUTBOX_STATUS,
  QUEUE_MAIL,
  RETRY_MAIL_LATER,
} from '../sql/mail-outbox.sql.js';
import { SqlRunner } from '../sql/sql-runner.js';
import { bind, type BoundStatement } from '../sql/sql-statement.js';

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
  private readonly sql: SqlRunner;

  constructor(dataSource: DataSource) {
    this.sql = new SqlRunner(dataSource);
  }

  /** The INSERT that queues `mail`, due at once (run it in a group beside the change that causes it). */
  queueStatement(mail: QueuedMail): BoundStatement {
    return bind(QUEUE_MAIL, { id: randomUUID(), ...mail });
  }

  /** Deletes the account's queued mails (with the account). */
  deleteForUserStatement(userId: string): BoundStatement {
    return bind(DELETE_MAILS_OF_USER, { userId });
  }

  /**
   * Leases up to `limit` due mails for `leaseMs`: a row another process leased a moment earlier
   * no longer matches, so two processes do not normally send one mail (at-least-once allows it
   * after a lease runs out mid-send).
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedMail[]> {
    const claimId = randomUUID();
    const rows = await this.sql.rows(CLAIM_DUE_MAILS, { leaseMs, claimId, limit });
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
    return (await this.sql.affected(DELETE_CLAIMED_MAIL, { id: mail.id, claimId: mail.claimId })) > 0;
  }

  /** Failed: due again in `delayMs`, or given up (deleted) once it was queued more than `giveUpAfterMs` ago. */
  async retryLater(mail: ClaimedMail, delayMs: number, giveUpAfterMs: number, error: string): Promise<MailRetryOutcome> {
    const claim = { id: mail.id, claimId: mail.claimId };
    if ((await this.sql.affected(RETRY_MAIL_LATER, { ...claim, delayMs, giveUpAfterMs, error: error.slice(0, 200) })) > 0)
      return 'retrying';
    return (await this.sql.affected(DELETE_CLAIMED_MAIL, claim)) > 0 ? 'given_up' : 'lost_claim';
  }

  /** Still to send, and of those, how many have failed at least once. */
  async status(): Promise<MailOutboxStatus> {
    const [row] = await this.sql.rows(MAIL_OUTBOX_STATUS, {});
    return { pending: Number(row?.pending ?? 0), failing: Number(row?.failing ?? 0) };
  }
}
