import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { UserEntity } from './user.entity.js';
import { epochMs } from './epoch-ms.transformer.js';

/**
 * A mail waiting to be sent (API.md § Accounts: Mail), queued in the transaction that causes
 * it and deleted once sent or given up. Times are the database's clock, as in
 * `webhook_deliveries`, so processes whose clocks disagree agree on what is due.
 */
@Entity({ name: 'mail_outbox' })
export class MailOutboxEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** The account it concerns (its pending mails go with it when it is deleted). */
  @Index('mail_outbox_user_id_idx')
  @ForeignKey(() => UserEntity, { name: 'mail_outbox_user_fk', onDelete: 'CASCADE' })
  @Column({ name: 'user_id', type: 'varchar', length: 36, nullable: true })
  userId!: string | null;

  @Column({ type: 'varchar', length: 254 })
  recipient!: string;

  @Column({ type: 'varchar', length: 255 })
  subject!: string;

  @Column({ name: 'text_body', type: 'text' })
  textBody!: string;

  @Column({ name: 'html_body', type: 'text' })
  htmlBody!: string;

  /** Attempts started so far (counted when claimed, so a crash mid-send counts too). */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Index('mail_outbox_next_attempt_at_idx')
  @Column({ name: 'next_attempt_at', type: 'bigint', transformer: epochMs })
  nextAttemptAt!: number;

  /** A process's lease while it sends; past it, another process may try again. */
  @Column({ name: 'claimed_until', type: 'bigint', nullable: true, transformer: epochMs })
  claimedUntil!: number | null;

  @Column({ name: 'claim_id', type: 'varchar', length: 36, nullable: true })
  claimId!: string | null;

  /** Why the last attempt failed ("SMTP 451", "ECONNREFUSED"), never the mail. */
  @Column({ name: 'last_error', type: 'varchar', length: 200, nullable: true })
  lastError!: string | null;
}
