import { sqlStatement } from './sql-statement.js';

/**
 * Replaces the password hash only if it is still `currentHash` (compare and set), so of two
 * concurrent changes that both checked the old password exactly one wins.
 */
export const REPLACE_PASSWORD_HASH = sqlStatement<{ id: string; currentHash: string; passwordHash: string; changedAt: number }>(
  'users.replace_password_hash',
  'UPDATE users SET password_hash = :passwordHash, password_changed_at = :changedAt WHERE id = :id AND password_hash = :currentHash',
);

/** Gives the account `role`; changes nothing when it already has it (or does not exist). */
export const SET_ACCOUNT_ROLE = sqlStatement<{ id: string; role: string }>(
  'users.set_role',
  'UPDATE users SET role = :role WHERE id = :id AND role <> :role',
);

/** A new account, always a plain `user`; a taken email fails it with a unique violation. */
export const INSERT_USER = sqlStatement<{
  id: string;
  email: string;
  passwordHash: string;
  createdAt: number;
  passwordChangedAt: number;
  emailVerifiedAt: number | null;
}>(
  'users.insert',
  `INSERT INTO users (id, email, password_hash, created_at, password_changed_at, role, email_verified_at, deleted_at)
    VALUES (:id, :email, :passwordHash, :createdAt, :passwordChangedAt, 'user', :emailVerifiedAt, NULL)`,
);

/** Marks the address verified, once (a second use changes nothing). */
export const MARK_EMAIL_VERIFIED = sqlStatement<{ id: string; at: number }>(
  'users.mark_email_verified',
  'UPDATE users SET email_verified_at = :at WHERE id = :id AND email_verified_at IS NULL AND deleted_at IS NULL',
);

/** A reset: the new hash, and the address verified (the reset link reached it); nothing for a deleted account. */
export const RESET_PASSWORD = sqlStatement<{ id: string; passwordHash: string; at: number }>(
  'users.reset_password',
  `UPDATE users SET password_hash = :passwordHash, password_changed_at = :at, email_verified_at = COALESCE(email_verified_at, :at)
    WHERE id = :id AND deleted_at IS NULL`,
);

/** The confirmed new address, verified; a unique violation if it was taken meanwhile. */
export const CHANGE_EMAIL = sqlStatement<{ id: string; email: string; at: number }>(
  'users.change_email',
  'UPDATE users SET email = :email, email_verified_at = :at WHERE id = :id AND deleted_at IS NULL',
);

/**
 * A deleted account's tombstone: ids only. Its email becomes `deleted:<id>` (no address can equal
 * it, so the address can register again), its password hash empty (no password verifies).
 */
export const TOMBSTONE_USER = sqlStatement<{ id: string; at: number; tombstone: string }>(
  'users.tombstone',
  `UPDATE users SET email = :tombstone, password_hash = '', email_verified_at = NULL, deleted_at = :at, role = 'user'
    WHERE id = :id AND deleted_at IS NULL`,
);
