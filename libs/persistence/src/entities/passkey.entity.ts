import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { UserEntity } from './user.entity.js';
import { epochMs } from './epoch-ms.transformer.js';

/**
 * One WebAuthn credential (a passkey) of an account (API.md § Strong authentication): its
 * credential id and COSE public key as the authenticator gave them at registration, and the
 * signature counter last seen, which must grow with every use (a counter that goes backwards
 * means a cloned authenticator).
 */
@Entity({ name: 'passkeys' })
export class PasskeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('passkeys_user_id_idx')
  @ForeignKey(() => UserEntity, { name: 'passkeys_user_fk', onDelete: 'CASCADE' })
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  /** The credential id, base64url (at most 1023 bytes by WebAuthn, so at most 1364 characters). */
  @Index('passkeys_credential_id_idx', { unique: true })
  @Column({ name: 'credential_id', type: 'varchar', length: 1400 })
  credentialId!: string;

  /** The COSE public key, base64url. */
  @Column({ name: 'public_key', type: 'text' })
  publicKey!: string;

  @Column({ type: 'bigint', transformer: epochMs })
  counter!: number;

  /** The authenticator's transports (`internal`, `hybrid`, `usb`…), comma-separated; empty when unknown. */
  @Column({ type: 'varchar', length: 200 })
  transports!: string;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'last_used_at', type: 'bigint', nullable: true, transformer: epochMs })
  lastUsedAt!: number | null;
}
