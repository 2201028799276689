import { AppConfig } from '@app/platform';
import { createDataSource, MIGRATIONS, runMigrations } from '@app/persistence';
import { scratchDatabase, TEST_JWT_SECRET, type ScratchDatabase } from '../../../test/support/scratch-database.js';

/**
 * The operator-role migration on a database that already has accounts: on SQLite, TypeORM adds
 * the column by rebuilding `users`, which devices and events reference with ON DELETE CASCADE,
 * so this checks that nothing is lost and every existing account is a plain user.
 */
describe('operator-role migration (e2e)', () => {
  let database: ScratchDatabase;

  beforeAll(async () => {
    database = await scratchDatabase();
  });

  afterAll(async () => {
    await database.remove();
  });

  it('keeps existing accounts, their devices and events, and makes every account a plain user', async () => {
    const config = AppConfig.fromEnv({ DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET });
    const before = createDataSource(config);
    before.setOptions({ migrations: MIGRATIONS.filter((migration) => migration.name !== 'OperatorRole1764400000000') });
    await before.initialize();
    try {
      await runMigrations(before);
      await before.query(
        `INSERT INTO users (id, email, password_hash, created_at, password_changed_at) VALUES ('u1', 'ops@example.com', 'h', 1, 1)`,
      );
      await before.query(
        `INSERT INTO devices (id, user_id, name, platform, created_at, last_seen_at, session_expires_at) VALUES ('d1', 'u1', 'Phone', 'android', 1, 1, 9999999999999)`,
      );
      await before.query(`INSERT INTO security_events (id, user_id, type, actor, created_at) VALUES ('e1', 'u1', 'login', 'user', 1)`);
    } finally {
      await before.destroy();
    }

    const after = createDataSource(config);
    await after.initialize();
    try {
      expect(await runMigrations(after)).toEqual(['OperatorRole1764400000000']);
      expect(await after.query(`SELECT id, email, role FROM users`)).toEqual([{ id: 'u1', email: 'ops@example.com', role: 'user' }]);
      expect(await after.query(`SELECT id FROM devices`)).toEqual([{ id: 'd1' }]);
      expect(await after.query(`SELECT id FROM security_events`)).toEqual([{ id: 'e1' }]);
      await expect(
        after.query(
          `INSERT INTO users (id, email, password_hash, created_at, password_changed_at) VALUES ('u2', 'ops@example.com', 'h', 1, 1)`,
        ),
      ).rejects.toThrow();
      await after.query(
        `INSERT INTO users (id, email, password_hash, created_at, password_changed_at) VALUES ('u3', 'new@example.com', 'h', 1, 1)`,
      );
      expect(await after.query(`SELECT role FROM users WHERE id = 'u3'`)).toEqual([{ role: 'user' }]);
    } finally {
      await after.destroy();
    }
  });
});
