import { sqlStatement } from './sql-statement.js';

/**
 * Counts one attempt for each key and returns the counts, in one upsert with RETURNING: a closed
 * window restarts at 1, an open one is incremented. Because the count and its answer are one
 * atomic step, N concurrent attempts, from any number of processes, see N distinct counts.
 * (`WHERE true`: SQLite's documented way to tell an upsert's ON CONFLICT from a join's ON.)
 *
 * PostgreSQL locks each key's row as it counts it, so every statement that changes several keys
 * takes their locks in one order, the key's (`ORDER BY key_hash`, as UNCOUNT does): two
 * statements taking two keys in opposite orders deadlock, and the loser's request failed. A
 * sign-in counts and forgives its email's and its address's keys, so a password check running
 * next to another did exactly that. (SQLite locks the whole database, never rows.)
 */
export const COUNT_LOGIN_ATTEMPTS = sqlStatement<{ keys: string[]; now: number; ends: number }>('login_attempts.count', {
  sqlite: `INSERT INTO login_attempts (key_hash, failures, window_ends_at)
    SELECT value, 1, :ends FROM json_each(:keys) WHERE true
    ON CONFLICT (key_hash) DO UPDATE SET
      failures = CASE WHEN login_attempts.window_ends_at <= :now THEN 1 ELSE login_attempts.failures + 1 END,
      window_ends_at = CASE WHEN login_attempts.window_ends_at <= :now THEN excluded.window_ends_at ELSE login_attempts.window_ends_at END
    RETURNING key_hash, failures, window_ends_at`,
  postgres: `INSERT INTO login_attempts (key_hash, failures, window_ends_at)
    SELECT batch.key_hash, 1, CAST(:ends AS BIGINT) FROM unnest(CAST(:keys AS VARCHAR[])) AS batch(key_hash)
    ORDER BY batch.key_hash
    ON CONFLICT (key_hash) DO UPDATE SET
      failures = CASE WHEN login_attempts.window_ends_at <= CAST(:now AS BIGINT) THEN 1 ELSE login_attempts.failures + 1 END,
      window_ends_at = CASE WHEN login_attempts.window_ends_at <= CAST(:now AS BIGINT) THEN excluded.window_ends_at ELSE login_attempts.window_ends_at END
    RETURNING key_hash, failures, window_ends_at`,
});

/**
 * Takes back one counted attempt per key (it succeeded, so it was no failure). PostgreSQL: the
 * rows are locked first in key order, as COUNT takes them (a plain UPDATE locks in the order its
 * plan reads, the index's or the table's).
 */
export const UNCOUNT_LOGIN_ATTEMPTS = sqlStatement<{ keys: string[]; now: number }>('login_attempts.uncount', {
  sqlite: `UPDATE login_attempts SET failures = failures - 1
    WHERE key_hash IN (SELECT value FROM json_each(:keys)) AND failures > 0 AND window_ends_at > :now`,
  postgres: `UPDATE login_attempts SET failures = login_attempts.failures - 1
    FROM (SELECT key_hash FROM login_attempts WHERE key_hash = ANY(CAST(:keys AS VARCHAR[]))
          ORDER BY key_hash FOR NO KEY UPDATE) locked
    WHERE login_attempts.key_hash = locked.key_hash AND login_attempts.failures > 0
      AND login_attempts.window_ends_at > CAST(:now AS BIGINT)`,
});

/** Forgets the counts of these (hashed) keys: an account's email, when the account is deleted. */
export const DELETE_LOGIN_ATTEMPT_KEYS = sqlStatement<{ keys: string[] }>(
  'login_attempts.delete_keys',
  ({ inList }) => `DELETE FROM login_attempts WHERE ${inList('key_hash', 'keys')}`,
);
