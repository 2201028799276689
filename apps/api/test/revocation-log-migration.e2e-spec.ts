import { DataSource } from 'typeorm';
import { createDataSource, MIGRATIONS, RevocationLogRepository } from '@app/persistence';
import { AppConfig } from '@app/platform';
import { scratchDatabase, TEST_JWT_SECRET, type ScratchDatabase } from './support/test-api.js';

/**
 * The revocation log on a database the previous release filled: devices revoked before the
 * migration whose access tokens may still be alive are in the feed from the start, active ones
 * are not, and the trigger logs revocations from then on, each once.
 */
describe('RevocationLog migration (e2e)', () => {
  let database: ScratchDatabase;
  let dataSource: DataSource | undefined;

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.remove();
  });

  it('logs the devices revoked before it, then every new revocation once', async () => {
    database = await scratchDatabase();
    const options = createDataSource(AppConfig.fromEnv({ DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET })).options;
    const postgres = options.type === 'postgres';
    const sql = (source: DataSource, text: string, parameters: unknown[] = []) => {
      let index = 0;
      return source.query(postgres ? text.replace(/\?/g, () => `$${++index}`) : text, parameters);
    };
    const previous = new DataSource({
      ...options,
      // Without the log, and without what is built on it (the Shared Signals queue's trigger).
      migrations: MIGRATIONS.filter((migration) => !['RevocationLog1764700000000', 'SharedSignals1765500000000'].includes(migration.name)),
    });
    await previous.initialize();
    await previous.runMigrations();
    const userId = '00000000-0000-4000-8000-0000000000a1';
    const [revoked, active] = ['00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000b2'];
    await sql(previous, 'INSERT INTO users (id, email, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, 0, 0)', [
      userId,
      'kept@example.com',
      'x',
    ]);
    const insertDevice = `INSERT INTO devices (id, user_id, name, platform, created_at, last_seen_at, session_expires_at, revoked_at)
      VALUES (?, ?, 'Phone', 'ios', 0, 0, 9999999999999, ?)`;
    await sql(previous, insertDevice, [revoked, userId, Date.now()]);
    await sql(previous, insertDevice, [active, userId, null]);
    await previous.destroy();

    dataSource = new DataSource({ ...options, migrations: MIGRATIONS });
    await dataSource.initialize();
    expect((await dataSource.runMigrations()).map((migration) => migration.name)).toEqual([
      'RevocationLog1764700000000',
      'SharedSignals1765500000000',
    ]);
    const log = new RevocationLogRepository(dataSource);
    const before = await log.readAfter(null, 3_600_000, 100);
    expect(before.entries).toEqual([{ position: expect.any(Object), deviceId: revoked, userId, revokedAt: expect.any(Number) }]);

    await sql(dataSource, `UPDATE devices SET revoked_at = ?, revoked_reason = 'operator' WHERE id = ?`, [Date.now(), active]);
    // Already revoked: no second entry.
    await sql(dataSource, `UPDATE devices SET revoked_at = ? WHERE id = ?`, [Date.now(), revoked]);
    const after = await log.readAfter(before.settled, 3_600_000, 100);
    expect(after.entries.map((entry) => entry.deviceId)).toEqual([active]);
  });
});
