import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { UserEntity } from './user.entity.js';
import { epochMs } from './epoch-ms.transformer.js';

/** What a mailed link lets its holder do, once. */
export type AccountTokenPurpose = 'verify_email' | 'password_reset' | 'email_change';

/**
 * One single-use link mailed to an account (API.md § Accounts): 256 random bits, of which only
 * the SHA-256 is stored; spent (or made useless by a newer link of the same purpose) once.
 */
@Entity({ name: 'account_tokens' })
@Index('account_tokens_user_purpose_idx', ['userId', 'purpose'])
export class AccountTokenEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @ForeignKey(() => UserEntity, { name: 'account_tokens_user_fk', onDelete: 'CASCADE' })
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ type: 'varchar', length: 24 })
  purpose!: AccountTokenPurpose;

  @Index('account_tokens_token_hash_idx', { unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  /** For an email change: the address that becomes the account's when the link is used. */
  @Column({ name: 'new_email', type: 'varchar', length: 254, nullable: true })
  newEmail!: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Index('account_tokens_expires_at_idx')
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: number;

  @Column({ name: 'spent_at', type: 'bigint', nullable: true, transformer: epochMs })
  spentAt!: number | null;
}
