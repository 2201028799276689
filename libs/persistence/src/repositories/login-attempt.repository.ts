import { Injectable } from '@nestjs/common';
import type { Statement } from '../atomic-statements.js';
import { DataSource, LessThanOrEqual, type Repository } from 'typeorm';
import { LoginAttemptEntity } from '../entities/login-attempt.entity.js';
import { executeSql } from '../sql.js';

/** One key's window after an attempt was counted. */
export interface AttemptWindow {
  readonly keyHash: string;
  readonly attempts: number;
  readonly windowEndsAt: number;
}

@Injectable()
export class LoginAttemptRepository {
  private readonly attempts: Repository<LoginAttemptEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.attempts = dataSource.getRepository(LoginAttemptEntity);
  }

  /**
   * Counts one attempt for each key and returns the counts, in one upsert with RETURNING (one
   * statement, one commit; the same SQL on SQLite and PostgreSQL): a closed window restarts at
   * 1, an open one is incremented. Because the count and its answer are one atomic step,
   * N concurrent attempts, from any number of processes, see N distinct counts: exactly the
   * first `limit` of them are below the limit, whatever the interleaving.
   */
  async count(keyHashes: readonly string[], now: number, windowMs: number): Promise<AttemptWindow[]> {
    if (keyHashes.length === 0) return [];
    const parameters: Record<string, unknown> = { now, ends: now + windowMs };
    const values = keyHashes.map((keyHash, index) => {
      parameters[`key${index}`] = keyHash;
      return `(:key${index}, 1, :ends)`;
    });
    const { rows } = await executeSql(
      this.dataSource,
      `INSERT INTO login_attempts (key_hash, failures, window_ends_at) VALUES ${values.join(', ')}
       ON CONFLICT (key_hash) DO UPDATE SET
         failures = CASE WHEN login_attempts.window_ends_at <= :now THEN 1 ELSE login_attempts.failures + 1 END,
         window_ends_at = CASE WHEN login_attempts.window_ends_at <= :now THEN excluded.window_ends_at ELSE login_attempts.window_ends_at END
       RETURNING key_hash, failures, window_ends_at`,
      parameters,
    );
    return rows.map((row) => ({ keyHash: String(row.key_hash), attempts: Number(row.failures), windowEndsAt: Number(row.window_ends_at) }));
  }

  /** Takes back one counted attempt per key (it succeeded, so it was no failure). */
  async uncount(keyHashes: readonly string[], now: number): Promise<void> {
    if (keyHashes.length === 0) return;
    await executeSql(
      this.dataSource,
      'UPDATE login_attempts SET failures = failures - 1 WHERE key_hash IN (:...keys) AND failures > 0 AND window_ends_at > :now',
      { keys: [...keyHashes], now },
    );
  }

  /** Forgets the counts of these (hashed) keys: an account's email, when the account is deleted. */
  deleteKeysStatement(keyHashes: readonly string[]): Statement {
    return {
      sql: `DELETE FROM login_attempts WHERE key_hash IN (${keyHashes.map((_, index) => `:key${index}`).join(', ')})`,
      parameters: Object.fromEntries(keyHashes.map((keyHash, index) => [`key${index}`, keyHash])),
    };
  }

  async deleteClosed(now: number): Promise<void> {
    await this.attempts.delete({ windowEndsAt: LessThanOrEqual(now) });
  }
}
