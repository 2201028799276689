import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './epoch-ms.transformer.js';

/**
 * A managed access-token signing key (API.md § Signing keys and their rotation). Its state
 * follows from times alone, so every process reads the same answer from the same rows: `next`
 * before `activates_at`, `current` from then until a later generation activates, `retired`
 * after that (still published until its last token has expired), `revoked` once `revoked_at`
 * is set. The private key is stored only sealed (AES-256-GCM under KEY_ENCRYPTION_SECRET).
 */
@Entity({ name: 'signing_keys' })
@Index('signing_keys_generation_idx', ['generation'], { unique: true })
export class SigningKeyEntity {
  /** The `kid`: the RFC 7638 thumbprint of the public key. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid!: string;

  /** 1, 2, 3, …: the order keys take over in; unique, so two processes cannot both add the next one. */
  @Column({ type: 'integer' })
  generation!: number;

  @Column({ type: 'varchar', length: 16 })
  algorithm!: string;

  /** The public key as a JWK (JSON). */
  @Column({ name: 'public_jwk', type: 'text' })
  publicJwk!: string;

  /** `v1.<iv>.<tag>.<ciphertext>` (base64url): the PKCS#8 private key, the kid as associated data. */
  @Column({ name: 'sealed_private_key', type: 'text' })
  sealedPrivateKey!: string;

  /** When it was published (added to the key set). */
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  /** From when processes sign with it (unless a later generation has activated). */
  @Column({ name: 'activates_at', type: 'bigint', transformer: epochMs })
  activatesAt!: number;

  @Column({ name: 'revoked_at', type: 'bigint', nullable: true, transformer: epochMs })
  revokedAt!: number | null;
}
