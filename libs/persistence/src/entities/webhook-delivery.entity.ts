import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { SecurityEventEntity } from './security-event.entity.js';
import { epochMs } from './epoch-ms.transformer.js';

/**
 * The delivery state of one security event to SECURITY_WEBHOOK_URL (the outbox row a trigger
 * adds for each event of a webhook type; see the 1764800000000 migration). Times are the
 * database's clock.
 */
@Entity({ name: 'webhook_deliveries' })
@Index('webhook_deliveries_next_attempt_at_idx', ['nextAttemptAt'])
@Index('webhook_deliveries_created_at_idx', ['createdAt'])
export class WebhookDeliveryEntity {
  /** The security event's id, which is also the payload's `id` that receivers de-duplicate by. */
  @ForeignKey(() => SecurityEventEntity, { name: 'webhook_deliveries_event_fk', onDelete: 'CASCADE' })
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** Attempts started so far (counted when claimed, so a crash mid-attempt counts too). */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  /** When the next attempt is due; null when delivered or given up. */
  @Column({ name: 'next_attempt_at', type: 'bigint', nullable: true, transformer: epochMs })
  nextAttemptAt!: number | null;

  /** A process's lease on the row while it sends; past it, another process may try again. */
  @Column({ name: 'claimed_until', type: 'bigint', nullable: true, transformer: epochMs })
  claimedUntil!: number | null;

  @Column({ name: 'claim_id', type: 'varchar', length: 36, nullable: true })
  claimId!: string | null;

  @Column({ name: 'delivered_at', type: 'bigint', nullable: true, transformer: epochMs })
  deliveredAt!: number | null;

  /** Why the last attempt failed ("HTTP 500", "timeout"), for operators; never a response body. */
  @Column({ name: 'last_error', type: 'varchar', length: 200, nullable: true })
  lastError!: string | null;
}
