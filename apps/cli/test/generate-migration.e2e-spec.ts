import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as prettier from 'prettier';
import { Column, Entity, PrimaryColumn, type MigrationInterface } from 'typeorm';
import { createDataSource, runMigrations, type Feature } from '@app/persistence';
import { AppConfig } from '@app/platform';
import { migrationSource, pendingSchemaChanges } from '../src/migrations/generate-migration.js';
import { scratchDatabase, TEST_JWT_SECRET, testPostgresUrl } from '../../../test/support/scratch-database.js';

// `npm run migration:generate`: the migration it writes for an entity the migrations do not
// have yet brings a database (SQLite, or PostgreSQL in that project) to exactly what the entities
// say, is undone by its down(), and is laid out as `npm run lint` wants it.

@Entity({ name: 'widgets' })
class WidgetEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 50 })
  name!: string;

  @Column({ name: 'created_at', type: 'bigint', nullable: true })
  createdAt!: number | null;
}

class WidgetsModule {}

describe('migration:generate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'generated-migration-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a migration that makes the schema the entities describe, and undoes it', async () => {
    const feature = (migrations: Feature['migrations']): Feature => ({ module: WidgetsModule, entities: [WidgetEntity], migrations });
    const server = testPostgresUrl();
    const sqlite = await pendingSchemaChanges([feature([])]);
    const postgres = server ? await pendingSchemaChanges([feature([])], server) : undefined;
    expect(sqlite.up.map(({ query }) => query).join('\n')).toContain('CREATE TABLE "widgets"');
    const source = migrationSource('AddWidgets1800000000000', sqlite, postgres);
    const config = await prettier.resolveConfig('apps/cli/src/main.ts');
    expect(await prettier.check(source, { ...config, parser: 'typescript' })).toBe(true);
    if (!postgres) expect(source).toContain('write its PostgreSQL statements here');

    const file = join(dir, 'add-widgets.ts');
    writeFileSync(file, source);
    // An ES module, as in this repository (TypeScript's NodeNext reads the type from package.json).
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    const { AddWidgets1800000000000 } = (await import(pathToFileURL(file).href)) as {
      AddWidgets1800000000000: new () => MigrationInterface;
    };

    const database = await scratchDatabase();
    const dataSource = createDataSource(AppConfig.fromEnv({ DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET }), [
      feature([AddWidgets1800000000000]),
    ]);
    try {
      await dataSource.initialize();
      expect(await runMigrations(dataSource)).toContain('AddWidgets1800000000000');
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
      await dataSource.getRepository(WidgetEntity).insert({ id: 'w1', name: 'first', createdAt: null });
      await dataSource.undoLastMigration({ transaction: 'each' });
      expect(await dataSource.createQueryRunner().hasTable('widgets')).toBe(false);
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await database.remove();
    }
  });

  it('takes the PostgreSQL server as --postgres <url>, and refuses options it does not know', () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['dist/apps/cli/src/main.js', 'generate-migration', ...args], { encoding: 'utf8' });
    for (const args of [
      ['AddWidgets', '--postgres'],
      ['AddWidgets', '--postgres', 'mysql://localhost/test'],
      ['AddWidgets', '--lib', 'notes', '--lib', 'notes'],
      ['AddWidgets', '--database', 'postgres://localhost/test'],
    ]) {
      const run = cli(...args);
      expect([args, run.status]).toEqual([args, 2]);
      expect(run.stderr).toContain('--postgres <url>');
    }
    // The product's entities and migrations agree on both databases: nothing to write.
    const agreed = cli('AddNothing', ...(testPostgresUrl() ? ['--postgres', testPostgresUrl()!] : []));
    expect([agreed.status, agreed.stdout]).toEqual([1, 'The entities and the migrations agree: no migration to write.\n']);
  });

  it('writes nothing when the entities and the migrations agree', async () => {
    const changes = await pendingSchemaChanges([], testPostgresUrl());
    expect(changes.up).toEqual([]);
    expect(readFileSync('package.json', 'utf8')).toContain(
      '"migration:generate": "npm run build && node dist/apps/cli/src/main.js generate-migration"',
    );
  });
});
