import { sqlStatement } from './sql-statement.js';

export const INSERT_MFA_CHALLENGE = sqlStatement<{
  id: string;
  tokenHash: string;
  userId: string;
  deviceName: string;
  devicePlatform: string;
  sessionClient: string;
  now: number;
  expiresAt: number;
}>(
  'mfa_challenges.insert',
  `INSERT INTO mfa_challenges (id, token_hash, user_id, device_name, device_platform, session_client, attempts, created_at, expires_at, spent_at)
    VALUES (:id, :tokenHash, :userId, :deviceName, :devicePlatform, :sessionClient, 0, :now, :expiresAt, NULL)`,
);

/**
 * Counts one code attempt on a usable challenge and returns it, in one statement: an unknown,
 * expired, spent or used-up (`maxAttempts` codes tried) challenge returns nothing. Counted
 * before the code is checked, so a parallel burst gets at most `maxAttempts` checks.
 */
export const ATTEMPT_MFA_CHALLENGE = sqlStatement<{ tokenHash: string; now: number; maxAttempts: number }>(
  'mfa_challenges.attempt',
  `UPDATE mfa_challenges SET attempts = attempts + 1
    WHERE token_hash = :tokenHash AND spent_at IS NULL AND expires_at > :now AND attempts < :maxAttempts
    RETURNING id, user_id, device_name, device_platform, session_client, created_at`,
);

/** Spends the challenge (its sign-in is finishing): of two concurrent finishes exactly one changes the row. */
export const SPEND_MFA_CHALLENGE = sqlStatement<{ id: string; now: number }>(
  'mfa_challenges.spend',
  'UPDATE mfa_challenges SET spent_at = :now WHERE id = :id AND spent_at IS NULL AND expires_at > :now',
);

export const DELETE_MFA_CHALLENGES_OF_USER = sqlStatement<{ userId: string }>(
  'mfa_challenges.delete_of_user',
  'DELETE FROM mfa_challenges WHERE user_id = :userId',
);
