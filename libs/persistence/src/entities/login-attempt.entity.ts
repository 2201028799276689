import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './epoch-ms.transformer.js';

/**
 * Failed sign-ins in the current window for one key (an email or a client IP, hashed), in
 * the database so that every API process counts the same attempts.
 */
@Entity({ name: 'login_attempts' })
@Index('login_attempts_window_ends_at_idx', ['windowEndsAt'])
export class LoginAttemptEntity {
  /** SHA-256 of `email:<address>` or `ip:<address>`: no addresses at rest. */
  @PrimaryColumn({ name: 'key_hash', type: 'varchar', length: 64 })
  keyHash!: string;

  @Column({ type: 'integer' })
  failures!: number;

  @Column({ name: 'window_ends_at', type: 'bigint', transformer: epochMs })
  windowEndsAt!: number;
}
