import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createDataSource, MIGRATIONS, UserEntity } from '@app/persistence';
import { AppConfig } from '@app/platform';
import { scratchDatabase, TEST_JWT_SECRET, type ScratchDatabase } from './support/test-api.js';

/**
 * The migration that brings stored emails to the canonical form (NFC, case-folded), on a
 * database that the previous release filled: it normalises what it can and never merges two
 * accounts, reporting (by user id) what it left alone.
 */
describe('NormalizeAccountEmails migration (e2e)', () => {
  let database: ScratchDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await scratchDatabase();
    const options = createDataSource(AppConfig.fromEnv({ DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET })).options;
    const previousRelease = new DataSource({
      ...options,
      migrations: MIGRATIONS.filter((migration) => migration.name !== 'NormalizeAccountEmails1764500000000'),
    });
    await previousRelease.initialize();
    await previousRelease.runMigrations();
    const user = (id: string, email: string) => ({ id, email, passwordHash: 'x', createdAt: Number(id.slice(-1)), passwordChangedAt: 0 });
    await previousRelease
      .getRepository(UserEntity)
      .insert([
        user('00000000-0000-4000-8000-000000000001', '\u00e9va@example.com'),
        user('00000000-0000-4000-8000-000000000002', 'e\u0301va@example.com'),
        user('00000000-0000-4000-8000-000000000003', 'zoe\u0308@example.com'),
        user('00000000-0000-4000-8000-000000000004', 'ann\u200b@example.com'),
        user('00000000-0000-4000-8000-000000000005', 'plain@example.com'),
      ]);
    await previousRelease.destroy();
    dataSource = new DataSource({ ...options, migrations: MIGRATIONS });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.remove();
  });

  it('normalises stored emails, reports collisions and refused characters by user id, and merges nothing', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      expect((await dataSource.runMigrations()).map((migration) => migration.name)).toEqual(['NormalizeAccountEmails1764500000000']);
      const emails = Object.fromEntries((await dataSource.getRepository(UserEntity).find()).map((user) => [user.id.slice(-1), user.email]));
      expect(emails).toEqual({
        1: '\u00e9va@example.com',
        2: 'e\u0301va@example.com',
        3: 'zo\u00eb@example.com',
        4: 'ann\u200b@example.com',
        5: 'plain@example.com',
      });
      const reports = warn.mock.calls.map(([message]) => String(message));
      expect(reports).toEqual([
        expect.stringMatching(/^User 00000000-0000-4000-8000-000000000002: .*another account.*not merged/),
        expect.stringMatching(/^User 00000000-0000-4000-8000-000000000004: .*control, format or space character/),
      ]);
      expect(reports.join('\n')).not.toContain('@example.com');
    } finally {
      warn.mockRestore();
    }
  });
});
