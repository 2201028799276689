import { sqlStatement } from './sql-statement.js';

/**
 * Spends a sign-in challenge by its id if it is still good, returning it: one conditional
 * DELETE, so of two concurrent uses exactly one gets the row.
 */
export const SPEND_AUTHENTICATION_CHALLENGE = sqlStatement<{ id: string; now: number }>(
  'passkey_challenges.spend_authentication',
  `DELETE FROM passkey_challenges WHERE id = :id AND purpose = 'authentication' AND expires_at > :now RETURNING challenge`,
);

/** Spends a registration challenge issued to this account if it is still good (one conditional DELETE). */
export const SPEND_REGISTRATION_CHALLENGE = sqlStatement<{ challenge: string; userId: string; now: number }>(
  'passkey_challenges.spend_registration',
  `DELETE FROM passkey_challenges WHERE challenge = :challenge AND user_id = :userId AND purpose = 'registration' AND expires_at > :now`,
);

export const DELETE_PASSKEY_CHALLENGES_OF_USER = sqlStatement<{ userId: string }>(
  'passkey_challenges.delete_of_user',
  'DELETE FROM passkey_challenges WHERE user_id = :userId',
);
