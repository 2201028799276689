import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AccountRole } from '@app/platform';
import { epochMs } from './epoch-ms.transformer.js';

/** `operator`: the dashboard's user search and revoke-any-device pages. Granted only by `npm run operator`. */
export type { AccountRole };

// Index and key names as the migrations made them (libs/persistence/test/schema.e2e-spec.ts compares).
@Entity({ name: 'users' })
@Index('users_email_unique', ['email'], { unique: true })
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** Trimmed and lower-cased, so the unique index compares case-insensitively. */
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  /** argon2id encoded hash (parameters and salt included). */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'password_changed_at', type: 'bigint', transformer: epochMs })
  passwordChangedAt!: number;

  /** When the account proved it receives mail at `email`; null until then. */
  @Column({ name: 'email_verified_at', type: 'bigint', nullable: true, transformer: epochMs })
  emailVerifiedAt!: number | null;

  /** Set when the account was deleted: the row stays as a tombstone of ids (API.md § Accounts). */
  @Column({ name: 'deleted_at', type: 'bigint', nullable: true, transformer: epochMs })
  deletedAt!: number | null;

  /** Never set from an HTTP request: only the operator command changes it. */
  @Column({ type: 'varchar', length: 16, default: 'user' })
  role!: AccountRole;
}
