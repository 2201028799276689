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
