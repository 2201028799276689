import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { UserEntity } from './user.entity.js';
import { epochMs } from './epoch-ms.transformer.js';

export type SecurityEventType =
  | 'registered'
  | 'login'
  | 'login_failed'
  | 'device_revoked'
  | 'device_renamed'
  | 'refresh_token_reused'
  | 'password_changed'
  | 'operator_granted'
  | 'operator_revoked'
  | 'dpop_proof_rejected'
  | 'email_verified'
  | 'password_reset_requested'
  | 'password_reset'
  | 'email_change_requested'
  | 'email_changed'
  | 'account_deleted'
  | 'passkey_added'
  | 'passkey_removed'
  | 'passkey_clone_suspected'
  | 'totp_enabled'
  | 'totp_disabled'
  | 'recovery_code_used'
  | 'reauthenticated'
  | 'signing_key_rotated'
  | 'signing_key_revoked';

/** Who did it: the account holder, an operator from the dashboard, or the service itself. */
export type SecurityEventActor = 'user' | 'operator' | 'system';

@Entity({ name: 'security_events' })
@Index('security_events_user_id_created_at_idx', ['userId', 'createdAt'])
@Index('security_events_type_created_at_idx', ['type', 'createdAt'])
export class SecurityEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @ForeignKey(() => UserEntity, { name: 'security_events_user_id_fk', onDelete: 'CASCADE' })
  /** Null for the service's own events (a signing key's rotation or revocation). */
  @Column({ name: 'user_id', type: 'varchar', length: 36, nullable: true })
  userId!: string | null;

  @Column({ type: 'varchar', length: 40 })
  type!: SecurityEventType;

  @Column({ name: 'device_id', type: 'varchar', length: 36, nullable: true })
  deviceId!: string | null;

  /** The device's name when the event happened, so the log stays readable after a rename. */
  @Column({ name: 'device_name', type: 'varchar', length: 64, nullable: true })
  deviceName!: string | null;

  @Column({ type: 'varchar', length: 16 })
  actor!: SecurityEventActor;

  @Column({ name: 'actor_user_id', type: 'varchar', length: 36, nullable: true })
  actorUserId!: string | null;

  /** The device the actor used (e.g. "from this browser"), when there was one. */
  @Column({ name: 'actor_device_id', type: 'varchar', length: 36, nullable: true })
  actorDeviceId!: string | null;

  @Column({ type: 'varchar', length: 40, nullable: true })
  reason!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  /** The signing key's `kid`, for `signing_key_rotated` and `signing_key_revoked`. */
  @Column({ name: 'key_id', type: 'varchar', length: 64, nullable: true })
  keyId!: string | null;

  /** How many times it happened in a run that was recorded as this one event (refused DPoP proofs). */
  @Column({ type: 'integer', default: 1 })
  occurrences!: number;
}
