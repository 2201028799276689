import { DataSource } from 'typeorm';
import { createDataSource, DeviceEntity, MIGRATIONS, RefreshTokenEntity, UserEntity } from '@app/persistence';
import { AppConfig } from '@app/platform';
import { scratchDatabase, TEST_JWT_SECRET, type ScratchDatabase } from './support/test-api.js';

/**
 * Adding `devices.jkt` on a database the previous release filled: SQLite adds a column by
 * rebuilding the table, and refresh tokens hang off devices with ON DELETE CASCADE, so the
 * test checks that signed-in devices and their refresh tokens all survive, as bearer devices.
 */
describe('DeviceKeyBinding migration (e2e)', () => {
  let database: ScratchDatabase;
  let dataSource: DataSource | undefined;

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.remove();
  });

  it('keeps every device and refresh token, unbound', async () => {
    database = await scratchDatabase();
    const options = createDataSource(AppConfig.fromEnv({ DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET })).options;
    const previous = new DataSource({
      ...options,
      migrations: MIGRATIONS.filter((migration) => migration.name !== 'DeviceKeyBinding1764600000000'),
    });
    await previous.initialize();
    await previous.runMigrations();
    const userId = '00000000-0000-4000-8000-0000000000a1';
    const deviceId = '00000000-0000-4000-8000-0000000000b1';
    await previous.query(
      previous.options.type === 'postgres'
        ? 'INSERT INTO users (id, email, password_hash, created_at, password_changed_at) VALUES ($1, $2, $3, 0, 0)'
        : 'INSERT INTO users (id, email, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, 0, 0)',
      [userId, 'kept@example.com', 'x'],
    );
    await previous.query(
      previous.options.type === 'postgres'
        ? "INSERT INTO devices (id, user_id, name, platform, created_at, last_seen_at, session_expires_at) VALUES ($1, $2, 'Phone', 'ios', 0, 0, 9999999999999)"
        : "INSERT INTO devices (id, user_id, name, platform, created_at, last_seen_at, session_expires_at) VALUES (?, ?, 'Phone', 'ios', 0, 0, 9999999999999)",
      [deviceId, userId],
    );
    await previous.query(
      previous.options.type === 'postgres'
        ? "INSERT INTO refresh_tokens (id, device_id, token_hash, created_at, expires_at) VALUES ($1, $2, 'h', 0, 9999999999999)"
        : "INSERT INTO refresh_tokens (id, device_id, token_hash, created_at, expires_at) VALUES (?, ?, 'h', 0, 9999999999999)",
      ['00000000-0000-4000-8000-0000000000c1', deviceId],
    );
    await previous.destroy();

    dataSource = new DataSource({ ...options, migrations: MIGRATIONS });
    await dataSource.initialize();
    expect((await dataSource.runMigrations()).map((migration) => migration.name)).toEqual(['DeviceKeyBinding1764600000000']);
    expect(await dataSource.getRepository(UserEntity).countBy({ id: userId })).toBe(1);
    expect(await dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: deviceId })).toMatchObject({ name: 'Phone', jkt: null });
    expect(await dataSource.getRepository(RefreshTokenEntity).countBy({ deviceId })).toBe(1);
  });
});
