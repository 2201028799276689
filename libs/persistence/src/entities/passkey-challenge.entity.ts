import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { UserEntity } from './user.entity.js';
import { epochMs } from './epoch-ms.transformer.js';

/** What a challenge is for: adding a passkey to an account, or signing in with one. */
export type PasskeyChallengePurpose = 'registration' | 'authentication';

/**
 * A WebAuthn challenge the server issued (API.md § Strong authentication): stored so that any
 * process can finish a ceremony another began, spent (deleted) by one conditional statement, so
 * of two concurrent uses exactly one wins, and good for 5 minutes. A sign-in's is found by its
 * random id (the `challengeId` the client holds), a registration's by the challenge itself and
 * the account it was issued to.
 */
@Entity({ name: 'passkey_challenges' })
export class PasskeyChallengeEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  purpose!: PasskeyChallengePurpose;

  /** The account a registration challenge was issued to; null for a sign-in's. */
  @Index('passkey_challenges_user_id_idx')
  @ForeignKey(() => UserEntity, { name: 'passkey_challenges_user_fk', onDelete: 'CASCADE' })
  @Column({ name: 'user_id', type: 'varchar', length: 36, nullable: true })
  userId!: string | null;

  /** The challenge, base64url of 32 random bytes. */
  @Index('passkey_challenges_challenge_idx', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  challenge!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Index('passkey_challenges_expires_at_idx')
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: number;
}
