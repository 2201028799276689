import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './epoch-ms.transformer.js';

/**
 * A Shared Signals receiver (API.md § Shared Signals): a service outside that manages its own
 * streams with a bearer token of its own. Registered and withdrawn only from the command line
 * (`npm run ssf -- add-receiver|remove-receiver`); the token is shown once and kept as SHA-256.
 */
@Entity({ name: 'ssf_receivers' })
export class SsfReceiverEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** The operator's name for it (`add-receiver <name>`), unique. */
  @Index('ssf_receivers_name_idx', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  name!: string;

  /** The `aud` of every SET its streams carry. */
  @Column({ type: 'varchar', length: 200 })
  audience!: string;

  /** SHA-256 (hex) of its bearer token: a 256-bit random token needs no slow hash. */
  @Index('ssf_receivers_token_hash_idx', { unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;
}
