import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { UserEntity } from './user.entity.js';
import { epochMs } from './epoch-ms.transformer.js';

/**
 * An account's TOTP second factor (RFC 6238; API.md § Strong authentication): at most one per
 * account. The shared secret is stored only encrypted (AES-256-GCM, the key derived from the
 * token-signing key); `confirmed_at` is null while the enrolment waits for its first code, and
 * the factor counts only once confirmed. `last_used_step` is the time step of the last code
 * accepted: a code of that step or an older one is refused (each code works once).
 */
@Entity({ name: 'totp_factors' })
export class TotpFactorEntity {
  @ForeignKey(() => UserEntity, { name: 'totp_factors_user_fk', onDelete: 'CASCADE' })
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  /** `v1.<iv>.<tag>.<ciphertext>`, each base64url. */
  @Column({ name: 'secret_ciphertext', type: 'varchar', length: 255 })
  secretCiphertext!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'confirmed_at', type: 'bigint', nullable: true, transformer: epochMs })
  confirmedAt!: number | null;

  @Column({ name: 'last_used_step', type: 'bigint', nullable: true, transformer: epochMs })
  lastUsedStep!: number | null;
}
