import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { UserEntity } from './user.entity.js';
import { epochMs } from './epoch-ms.transformer.js';

/**
 * A sign-in whose password was right and which waits for the second factor (the `mfaToken` of
 * an `mfa_required` answer). 256 random bits, of which only the SHA-256 is stored; valid a few
 * minutes, spent once, and ended after a few wrong codes (`attempts` counts every code tried,
 * counted before the check). It holds what the sign-in asked for, so that the process that
 * finishes it (any process) creates the same device; it creates none itself.
 */
@Entity({ name: 'mfa_challenges' })
export class MfaChallengeEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('mfa_challenges_token_hash_idx', { unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Index('mfa_challenges_user_id_idx')
  @ForeignKey(() => UserEntity, { name: 'mfa_challenges_user_fk', onDelete: 'CASCADE' })
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ name: 'device_name', type: 'varchar', length: 64 })
  deviceName!: string;

  @Column({ name: 'device_platform', type: 'varchar', length: 16 })
  devicePlatform!: string;

  /** `api` or `dashboard`: whose tokens the finished sign-in gets. */
  @Column({ name: 'session_client', type: 'varchar', length: 16 })
  sessionClient!: string;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Index('mfa_challenges_expires_at_idx')
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: number;

  @Column({ name: 'spent_at', type: 'bigint', nullable: true, transformer: epochMs })
  spentAt!: number | null;
}
