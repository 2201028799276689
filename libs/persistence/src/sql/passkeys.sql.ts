import { sqlStatement } from './sql-statement.js';

/**
 * Records a use of the passkey: the new signature counter and when. Conditional on the counter
 * still being below the new one (or both zero: an authenticator that keeps no counter), so a
 * concurrent use that got further first makes this one change nothing.
 */
export const RECORD_PASSKEY_USE = sqlStatement<{ id: string; counter: number; now: number }>(
  'passkeys.record_use',
  'UPDATE passkeys SET counter = :counter, last_used_at = :now WHERE id = :id AND (counter < :counter OR (counter = 0 AND :counter = 0))',
);

/** Removes one passkey of the account; changes nothing for another account's. */
export const DELETE_PASSKEY = sqlStatement<{ id: string; userId: string }>(
  'passkeys.delete',
  'DELETE FROM passkeys WHERE id = :id AND user_id = :userId',
);

export const DELETE_PASSKEYS_OF_USER = sqlStatement<{ userId: string }>(
  'passkeys.delete_of_user',
  'DELETE FROM passkeys WHERE user_id = :userId',
);
