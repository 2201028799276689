import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { openDataSource } from '@app/persistence';
import { AppConfig } from '@app/platform';
import { scratchDatabase, TEST_JWT_SECRET, type ScratchDatabase } from '../../../test/support/scratch-database.js';

/**
 * After every migration, the schema is the one the entities describe (TypeORM's schema builder
 * has nothing to change), and every trigger the migrations create is there: on SQLite a table
 * rebuild (TypeORM's addColumn/changeColumn) silently drops a table's triggers, and with them the
 * revocation log or the webhook outbox.
 */
const EXPECTED_TRIGGERS = {
  sqlite: [
    'device_revocations.device_revocations_queue_ssf',
    'devices.devices_revocation_log',
    'security_events.security_events_queue_ssf',
    'security_events.security_events_queue_webhook',
  ],
  postgres: [
    'device_revocations.device_revocations_queue_ssf',
    'devices.devices_revocation_log',
    'devices.devices_revoked_notify',
    'security_events.security_events_queue_ssf',
    'security_events.security_events_queue_webhook',
    'signing_keys.signing_keys_changed_notify',
  ],
};

describe('the migrated schema', () => {
  let database: ScratchDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await scratchDatabase();
    dataSource = await openDataSource(AppConfig.fromEnv({ DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET }));
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await database?.remove();
  });

  it('matches the entities: the schema builder finds nothing to change', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('has every trigger the migrations create', async () => {
    const rows = (await dataSource.query(
      database.kind === 'postgres'
        ? `SELECT c.relname AS "table", t.tgname AS name FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
           WHERE NOT t.tgisinternal AND c.relnamespace = 'public'::regnamespace`
        : 'SELECT tbl_name AS "table", name FROM sqlite_master WHERE type = \'trigger\'',
    )) as { table: string; name: string }[];
    expect(rows.map((row) => `${row.table}.${row.name}`).sort()).toEqual(EXPECTED_TRIGGERS[database.kind]);
  });
});
