import { sqlStatement } from './sql-statement.js';

/** Makes the account's unspent links of one purpose useless (a newer one is being issued). */
export const SPEND_UNSPENT_OF_PURPOSE = sqlStatement<{ userId: string; purpose: string; now: number }>(
  'account_tokens.spend_unspent_of_purpose',
  'UPDATE account_tokens SET spent_at = :now WHERE user_id = :userId AND purpose = :purpose AND spent_at IS NULL',
);

export const INSERT_ACCOUNT_TOKEN = sqlStatement<{
  id: string;
  userId: string;
  purpose: string;
  tokenHash: string;
  newEmail: string | null;
  createdAt: number;
  expiresAt: number;
}>(
  'account_tokens.insert',
  `INSERT INTO account_tokens (id, user_id, purpose, token_hash, new_email, created_at, expires_at, spent_at)
    VALUES (:id, :userId, :purpose, :tokenHash, :newEmail, :createdAt, :expiresAt, NULL)`,
);

/** Spends the link if it is still usable: of two concurrent uses exactly one changes the row. */
export const SPEND_ACCOUNT_TOKEN = sqlStatement<{ id: string; now: number }>(
  'account_tokens.spend',
  'UPDATE account_tokens SET spent_at = :now WHERE id = :id AND spent_at IS NULL AND expires_at > :now',
);

/** Makes every pending link of the account useless. */
export const SPEND_ALL_OF_USER = sqlStatement<{ userId: string; now: number }>(
  'account_tokens.spend_all_of_user',
  'UPDATE account_tokens SET spent_at = :now WHERE user_id = :userId AND spent_at IS NULL',
);

export const DELETE_ACCOUNT_TOKENS_OF_USER = sqlStatement<{ userId: string }>(
  'account_tokens.delete_of_user',
  'DELETE FROM account_tokens WHERE user_id = :userId',
);
