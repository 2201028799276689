import { Injectable } from '@nestjs/common';
import { DataSource, In, LessThanOrEqual, MoreThan, type Repository } from 'typeorm';
import { LoginAttemptEntity } from '../entities/login-attempt.entity.js';
import { executeSql } from '../sql.js';

@Injectable()
export class LoginAttemptRepository {
  private readonly attempts: Repository<LoginAttemptEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.attempts = dataSource.getRepository(LoginAttemptEntity);
  }

  /** The windows still open at `now` for these keys. */
  findOpen(keyHashes: readonly string[], now: number): Promise<LoginAttemptEntity[]> {
    return this.attempts.findBy({ keyHash: In([...keyHashes]), windowEndsAt: MoreThan(now) });
  }

  /**
   * Counts one failure for each key in one upsert (one statement, one commit; the same SQL on
   * SQLite and PostgreSQL): a closed window restarts at 1, an open one is incremented.
   * Concurrent failures from several processes are all counted.
   */
  async recordFailure(keyHashes: readonly string[], now: number, windowMs: number): Promise<void> {
    if (keyHashes.length === 0) return;
    const parameters: Record<string, unknown> = { now, ends: now + windowMs };
    const values = keyHashes.map((keyHash, index) => {
      parameters[`key${index}`] = keyHash;
      return `(:key${index}, 1, :ends)`;
    });
    await executeSql(
      this.dataSource,
      `INSERT INTO login_attempts (key_hash, failures, window_ends_at) VALUES ${values.join(', ')}
       ON CONFLICT (key_hash) DO UPDATE SET
         failures = CASE WHEN login_attempts.window_ends_at <= :now THEN 1 ELSE login_attempts.failures + 1 END,
         window_ends_at = CASE WHEN login_attempts.window_ends_at <= :now THEN excluded.window_ends_at ELSE login_attempts.window_ends_at END`,
      parameters,
    );
  }

  async clear(keyHash: string): Promise<void> {
    await this.attempts.delete({ keyHash });
  }

  async deleteClosed(now: number): Promise<void> {
    await this.attempts.delete({ windowEndsAt: LessThanOrEqual(now) });
  }
}
