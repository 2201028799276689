import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { DeviceEntity } from './device.entity.js';
import { epochMs } from './epoch-ms.transformer.js';

/**
 * One refresh token of a device's chain. Only its SHA-256 hash is stored; a token is live
 * while `rotatedAt` is null, and each device has at most one live token.
 */
@Entity({ name: 'refresh_tokens' })
@Index('refresh_tokens_token_hash_unique', ['tokenHash'], { unique: true })
@Index('refresh_tokens_device_id_idx', ['deviceId'])
@Index('refresh_tokens_expires_at_idx', ['expiresAt'])
export class RefreshTokenEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @ForeignKey(() => DeviceEntity, { name: 'refresh_tokens_device_id_fk', onDelete: 'CASCADE' })
  @Column({ name: 'device_id', type: 'varchar', length: 36 })
  deviceId!: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  /** Idle expiry: REFRESH_TOKEN_TTL after issue (each rotation starts a new one). */
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: number;

  /** When it was spent: rotated, or ended by a revocation. */
  @Column({ name: 'rotated_at', type: 'bigint', nullable: true, transformer: epochMs })
  rotatedAt!: number | null;

  @Column({ name: 'replaced_by_id', type: 'varchar', length: 36, nullable: true })
  replacedById!: string | null;

  /**
   * The successor token, encrypted with a key derived from this token's own secret, so a
   * retry of this token within the grace period gets the same successor back. Whoever reads
   * the database cannot open it: the key is the token, and only its hash is stored.
   */
  @Column({ name: 'sealed_successor', type: 'varchar', length: 255, nullable: true })
  sealedSuccessor!: string | null;
}
