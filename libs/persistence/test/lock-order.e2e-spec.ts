import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { LoginAttemptRepository, openDataSource, Transactions } from '@app/persistence';
import { AppConfig } from '@app/platform';
import { scratchDatabase, TEST_JWT_SECRET, testPostgresUrl, type ScratchDatabase } from '../../../test/support/scratch-database.js';
import { waitFor } from '../../../test/support/wait-for.js';

const HOUR = 3_600_000;
const NOW = 1_000_000;
const onPostgres = testPostgresUrl() ? it : it.skip;

/**
 * Row locks on PostgreSQL: statements that change several rows take their locks in one order,
 * and a transaction PostgreSQL rolls back to break a deadlock is run again, not answered as a 500.
 * (On SQLite, which locks the whole database, the bursts run too: no statement may fail there either.)
 */
describe('row lock order (sql/)', () => {
  let database: ScratchDatabase;
  let dataSource: DataSource;
  let attempts: LoginAttemptRepository;
  const warnings: string[] = [];

  beforeAll(async () => {
    Logger.overrideLogger({ log() {}, error() {}, warn: (message: unknown) => void warnings.push(String(message)) });
    database = await scratchDatabase();
    dataSource = await openDataSource(
      AppConfig.fromEnv({ DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET, DATABASE_POOL_SIZE: '20' }),
    );
    attempts = new LoginAttemptRepository(dataSource);
    // Enough rows that the planner reads the keys through the primary key's index, in key order.
    const filler = Array.from({ length: 3000 }, (_, index) => `filler-${String(index).padStart(5, '0')}`);
    await attempts.count(filler, NOW, HOUR);
    if (database.kind === 'postgres') await dataSource.query('ANALYZE login_attempts');
  });

  beforeEach(() => {
    warnings.length = 0;
  });

  afterAll(async () => {
    Logger.overrideLogger(false);
    if (dataSource?.isInitialized) await dataSource.destroy();
    await database?.remove();
  });

  it('counts and forgives two keys in parallel bursts, the keys given against their order, without one failure', async () => {
    // A sign-in counts [email, address] and forgives the same two; here the first sorts last.
    const keys = ['zz-email-key', 'aa-address-key'];
    await attempts.count([keys[1]!], NOW, HOUR);
    await attempts.count([keys[0]!], NOW, HOUR);
    const failures: unknown[] = [];
    for (let round = 0; round < 10; round++) {
      const burst = await Promise.allSettled(
        Array.from({ length: 16 }, (_, index) => (index % 2 === 0 ? attempts.count(keys, NOW, HOUR) : attempts.uncount(keys, NOW))),
      );
      failures.push(...burst.filter((result) => result.status === 'rejected').map((result) => (result as PromiseRejectedResult).reason));
    }
    expect(failures).toEqual([]);
    // Not one deadlock broken either (each would have cost a second, and a retry).
    expect(warnings).toEqual([]);
    // Every statement changed both keys at once, in the same order: the two counts agree.
    const rows = (await dataSource.query(
      `SELECT key_hash, failures FROM login_attempts WHERE key_hash IN ('${keys[0]}', '${keys[1]}') ORDER BY key_hash`,
    )) as { key_hash: string; failures: number }[];
    expect(rows).toHaveLength(2);
    expect(Number(rows[0]!.failures)).toBe(Number(rows[1]!.failures));
  }, 60_000);

  /**
   * Closes a deadlock on keys a and b with `victim`, which must take a, then wait for b: another
   * transaction holds b, and asks for a once `victim` waits (the one session of this database
   * waiting for a lock: pg_stat_activity's query text lags behind a prepared statement's).
   * That session waits long before looking for deadlocks, so PostgreSQL picks `victim`'s
   * transaction to roll back, deterministically. Resolves once both finished.
   */
  async function deadlockOn(a: string, b: string, victim: () => Promise<unknown>): Promise<void> {
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query("SET deadlock_timeout = '20s'");
      await other.query('BEGIN');
      await other.query('UPDATE login_attempts SET window_ends_at = window_ends_at WHERE key_hash = $1', [b]);
      const victimDone = victim();
      await waitFor(
        async () => {
          const waiting = await other.query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
          );
          return Number(waiting.rows[0].n) === 1;
        },
        { what: 'the victim waiting for b' },
      );
      // Granted once PostgreSQL rolled the victim back.
      await other.query('UPDATE login_attempts SET window_ends_at = window_ends_at WHERE key_hash = $1', [a]);
      await other.query('COMMIT');
      // Run again after the rollback: it waited for the commit above.
      await victimDone;
    } finally {
      await other.end();
    }
  }

  onPostgres(
    'runs a statement again that PostgreSQL rolled back to break a deadlock',
    async () => {
      await attempts.count(['deadlock-a', 'deadlock-b'], NOW, HOUR);
      await attempts.count(['deadlock-a', 'deadlock-b'], NOW, HOUR);
      // The uncount locks its keys in key order: a, then b.
      await deadlockOn('deadlock-a', 'deadlock-b', () => attempts.uncount(['deadlock-b', 'deadlock-a'], NOW));
      const rows = (await dataSource.query("SELECT failures FROM login_attempts WHERE key_hash IN ('deadlock-a', 'deadlock-b')")) as {
        failures: number;
      }[];
      expect(rows.map((row) => Number(row.failures))).toEqual([1, 1]);
      expect(warnings).toEqual([expect.stringContaining('login_attempts.uncount: rolled back by PostgreSQL to break a deadlock')]);
    },
    60_000,
  );

  onPostgres(
    'runs a whole group again that PostgreSQL rolled back to break a deadlock',
    async () => {
      await attempts.count(['group-a', 'group-b'], NOW, HOUR);
      const transactions = new Transactions(dataSource);
      await deadlockOn('group-a', 'group-b', () =>
        transactions.run([attempts.deleteKeysStatement(['group-a']), attempts.deleteKeysStatement(['group-b'])]),
      );
      const rows = (await dataSource.query("SELECT key_hash FROM login_attempts WHERE key_hash IN ('group-a', 'group-b')")) as unknown[];
      expect(rows).toEqual([]);
      expect(warnings).toEqual([
        expect.stringContaining('login_attempts.delete_keys + login_attempts.delete_keys: rolled back by PostgreSQL to break a deadlock'),
      ]);
    },
    60_000,
  );
});
