import { Injectable } from '@nestjs/common';
import { DataSource, LessThanOrEqual, type Repository } from 'typeorm';
import { LoginAttemptEntity } from '../entities/login-attempt.entity.js';
import { COUNT_LOGIN_ATTEMPTS, DELETE_LOGIN_ATTEMPT_KEYS, UNCOUNT_LOGIN_ATTEMPTS } from '../sql/login-attempts.sql.js';
import { bind, type BoundStatement } from '../sql/sql-statement.js';
import { SqlRunner } from '../sql/sql-runner.js';

/** One key's window after an attempt was counted. */
export interface AttemptWindow {
  readonly keyHash: string;
  readonly attempts: number;
  readonly windowEndsAt: number;
}

@Injectable()
export class LoginAttemptRepository {
  private readonly attempts: Repository<LoginAttemptEntity>;

  private readonly sql: SqlRunner;

  constructor(dataSource: DataSource) {
    this.attempts = dataSource.getRepository(LoginAttemptEntity);
    this.sql = new SqlRunner(dataSource);
  }

  /**
   * Counts one attempt for each key and returns the counts, in one upsert with RETURNING (one
   * statement, one commit; sql/login-attempts.sql.ts): a closed window restarts at
   * 1, an open one is incremented. Because the count and its answer are one atomic step,
   * N concurrent attempts, from any number of processes, see N distinct counts: exactly the
   * first `limit` of them are below the limit, whatever the interleaving.
   */
  async count(keyHashes: readonly string[], now: number, windowMs: number): Promise<AttemptWindow[]> {
    if (keyHashes.length === 0) return [];
    const rows = await this.sql.rows(COUNT_LOGIN_ATTEMPTS, { keys: [...keyHashes], now, ends: now + windowMs });
    return rows.map((row) => ({ keyHash: String(row.key_hash), attempts: Number(row.failures), windowEndsAt: Number(row.window_ends_at) }));
  }

  /** Takes back one counted attempt per key (it succeeded, so it was no failure). */
  async uncount(keyHashes: readonly string[], now: number): Promise<void> {
    if (keyHashes.length === 0) return;
    await this.sql.run(UNCOUNT_LOGIN_ATTEMPTS, { keys: [...keyHashes], now });
  }

  /** Forgets the counts of these (hashed) keys: an account's email, when the account is deleted. */
  deleteKeysStatement(keyHashes: readonly string[]): BoundStatement {
    return bind(DELETE_LOGIN_ATTEMPT_KEYS, { keys: [...keyHashes] });
  }

  async deleteClosed(now: number): Promise<void> {
    await this.attempts.delete({ windowEndsAt: LessThanOrEqual(now) });
  }
}
