import { sqlStatement } from './sql-statement.js';

export const INSERT_RECOVERY_CODE = sqlStatement<{ id: string; userId: string; codeHash: string; now: number }>(
  'recovery_codes.insert',
  'INSERT INTO recovery_codes (id, user_id, code_hash, created_at, used_at) VALUES (:id, :userId, :codeHash, :now, NULL)',
);

/** Spends an unused code: of two concurrent uses exactly one changes the row. */
export const USE_RECOVERY_CODE = sqlStatement<{ userId: string; codeHash: string; now: number }>(
  'recovery_codes.use',
  'UPDATE recovery_codes SET used_at = :now WHERE user_id = :userId AND code_hash = :codeHash AND used_at IS NULL',
);

export const DELETE_RECOVERY_CODES_OF_USER = sqlStatement<{ userId: string }>(
  'recovery_codes.delete_of_user',
  'DELETE FROM recovery_codes WHERE user_id = :userId',
);
