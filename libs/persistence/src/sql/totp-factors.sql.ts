import { sqlStatement } from './sql-statement.js';

/**
 * Starts (or restarts) an enrolment: a new unconfirmed secret replaces an unconfirmed one; a
 * confirmed factor is left alone (the statement then changes nothing: TOTP is already on).
 */
export const ENROL_TOTP = sqlStatement<{ userId: string; secretCiphertext: string; now: number }>(
  'totp_factors.enrol',
  `INSERT INTO totp_factors (user_id, secret_ciphertext, created_at, confirmed_at, last_used_step)
    VALUES (:userId, :secretCiphertext, :now, NULL, NULL)
    ON CONFLICT (user_id) DO UPDATE SET secret_ciphertext = excluded.secret_ciphertext, created_at = excluded.created_at,
      last_used_step = NULL
    WHERE totp_factors.confirmed_at IS NULL`,
);

/**
 * Confirms the enrolment whose secret was checked (not a newer one that replaced it meanwhile),
 * spending the code's time step.
 */
export const CONFIRM_TOTP = sqlStatement<{ userId: string; secretCiphertext: string; step: number; now: number }>(
  'totp_factors.confirm',
  `UPDATE totp_factors SET confirmed_at = :now, last_used_step = :step
    WHERE user_id = :userId AND confirmed_at IS NULL AND secret_ciphertext = :secretCiphertext`,
);

/**
 * Spends a time step: succeeds only for a step later than the last one accepted, so a code is
 * accepted once, and of two concurrent uses of one code exactly one changes the row.
 */
export const USE_TOTP_STEP = sqlStatement<{ userId: string; step: number }>(
  'totp_factors.use_step',
  `UPDATE totp_factors SET last_used_step = :step
    WHERE user_id = :userId AND confirmed_at IS NOT NULL AND (last_used_step IS NULL OR last_used_step < :step)`,
);

export const DELETE_TOTP_OF_USER = sqlStatement<{ userId: string }>(
  'totp_factors.delete_of_user',
  'DELETE FROM totp_factors WHERE user_id = :userId',
);
