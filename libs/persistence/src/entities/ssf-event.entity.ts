import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { SsfStreamEntity } from './ssf-stream.entity.js';
import { epochMs } from './epoch-ms.transformer.js';

/** What a queued SET says (the event-type URIs are built from these in libs/ssf). */
export type SsfEventKind = 'session-revoked' | 'credential-change' | 'account-purged' | 'verification';

/**
 * One SET for one stream (its `jti` is the id): queued by triggers in the statement that
 * revokes a device or records a credential change (migration 1765500000000), or by the
 * verification endpoint, and signed when it is sent, from these columns, so every retry says
 * the same thing. Ids only: no email, name, address or user agent.
 *
 * Push streams work it as an outbox, like `webhook_deliveries` (`next_attempt_at` due, a lease
 * in `claimed_until`/`claim_id`); poll streams offer every row not yet acknowledged.
 * `delivered_at` is set on a 202 (push) or an acknowledgement (poll). Times are the database's.
 */
@Entity({ name: 'ssf_events' })
@Index('ssf_events_next_attempt_at_idx', ['nextAttemptAt'])
@Index('ssf_events_stream_id_delivered_at_idx', ['streamId', 'deliveredAt'])
@Index('ssf_events_created_at_idx', ['createdAt'])
export class SsfEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @ForeignKey(() => SsfStreamEntity, { name: 'ssf_events_stream_fk', onDelete: 'CASCADE' })
  @Column({ name: 'stream_id', type: 'varchar', length: 36 })
  streamId!: string;

  @Column({ type: 'varchar', length: 32 })
  kind!: SsfEventKind;

  /** The account it is about (none for a verification event); an id, never an address. */
  @Column({ name: 'user_id', type: 'varchar', length: 36, nullable: true })
  userId!: string | null;

  /** session-revoked: the device (the session). */
  @Column({ name: 'device_id', type: 'varchar', length: 36, nullable: true })
  deviceId!: string | null;

  /** session-revoked: the revocation reason; credential-change / account-purged: the security event type. */
  @Column({ type: 'varchar', length: 40, nullable: true })
  reason!: string | null;

  /** CAEP initiating_entity: user, admin or system. */
  @Column({ name: 'initiating_entity', type: 'varchar', length: 16, nullable: true })
  initiatingEntity!: string | null;

  /** verification: the receiver's `state`, echoed. */
  @Column({ type: 'varchar', length: 1000, nullable: true })
  state!: string | null;

  /** When it happened (CAEP event_timestamp), epoch ms. */
  @Column({ name: 'occurred_at', type: 'bigint', transformer: epochMs })
  occurredAt!: number;

  /** When it was queued (the SET's iat), epoch ms. */
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /** Push: when the next attempt is due; null for poll streams, and once delivered or given up. */
  @Column({ name: 'next_attempt_at', type: 'bigint', nullable: true, transformer: epochMs })
  nextAttemptAt!: number | null;

  @Column({ name: 'claimed_until', type: 'bigint', nullable: true, transformer: epochMs })
  claimedUntil!: number | null;

  @Column({ name: 'claim_id', type: 'varchar', length: 36, nullable: true })
  claimId!: string | null;

  @Column({ name: 'delivered_at', type: 'bigint', nullable: true, transformer: epochMs })
  deliveredAt!: number | null;

  @Column({ name: 'last_error', type: 'varchar', length: 200, nullable: true })
  lastError!: string | null;
}
