import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { UserEntity } from './user.entity.js';
import { epochMs } from './epoch-ms.transformer.js';

/**
 * One of the single-use recovery codes handed out when TOTP was confirmed. Only the SHA-256 of
 * the code is stored (the codes are high-entropy, so a fast hash is enough); `used_at` is set
 * by the one conditional UPDATE that spends it.
 */
@Entity({ name: 'recovery_codes' })
@Index('recovery_codes_user_code_idx', ['userId', 'codeHash'], { unique: true })
export class RecoveryCodeEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @ForeignKey(() => UserEntity, { name: 'recovery_codes_user_fk', onDelete: 'CASCADE' })
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'used_at', type: 'bigint', nullable: true, transformer: epochMs })
  usedAt!: number | null;
}
