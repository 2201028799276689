import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Query } from 'typeorm/driver/Query.js';
import { createDataSource, runMigrations, type Feature } from '@app/persistence';
import { AppConfig } from '@app/platform';

/** What a migration must run on one database to bring its schema from the migrations to the entities. */
export interface SchemaChanges {
  readonly up: readonly Query[];
  readonly down: readonly Query[];
}

/**
 * Migrates a scratch database (a SQLite file, or a new database on the PostgreSQL server
 * `postgresServer`, dropped afterwards) with every migration, and asks TypeORM's schema builder
 * what the entities still need: the statements `migration:generate` writes.
 */
export async function pendingSchemaChanges(features: readonly Feature[], postgresServer?: string): Promise<SchemaChanges> {
  const scratch = postgresServer ? await scratchPostgres(postgresServer) : scratchSqlite();
  try {
    const dataSource = createDataSource(
      AppConfig.fromEnv({ DATABASE_URL: scratch.url, JWT_SECRET: randomBytes(32).toString('base64url') }),
      features,
    );
    await dataSource.initialize();
    try {
      await runMigrations(dataSource);
      const sql = await dataSource.driver.createSchemaBuilder().log();
      // Undone in the reverse order (as TypeORM's own generator does).
      return { up: sql.upQueries, down: [...sql.downQueries].reverse() };
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await scratch.remove();
  }
}

/**
 * The migration's source: each database's statements in its own branch. `postgres` undefined:
 * no server was at hand, and the PostgreSQL branch says what to write by hand.
 */
export function migrationSource(className: string, sqlite: SchemaChanges, postgres: SchemaChanges | undefined): string {
  const missing = `throw new Error(
        '${className}: write its PostgreSQL statements here (generated without a PostgreSQL server: run npm run migration:generate again with --postgres <url>, or translate the SQLite branch)',
      );`;
  const body = (direction: 'up' | 'down') => `    if (queryRunner.connection.options.type === 'postgres') {
${postgres ? statements(postgres[direction]) : `      ${missing}`}
    } else {
${statements(sqlite[direction])}
    }`;
  return `import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Written by \`npm run migration:generate\` from the entities' difference to the migrations before
 * it, on SQLite${postgres ? ' and PostgreSQL' : ' (PostgreSQL: see below)'}. Read it before committing it, and add the class to its
 * lib's migrations (its Feature's \`migrations\`, or MIGRATIONS in libs/persistence).
 */
export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(queryRunner: QueryRunner): Promise<void> {
${body('up')}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${body('down')}
  }
}
`;
}

function statements(queries: readonly Query[]): string {
  return queries
    .map(({ query, parameters }) => {
      const text = `\`${query.replaceAll('\\', '\\\\').replaceAll('`', '\\`').replaceAll('${', '\\${')}\``;
      const args = parameters?.length ? [text, JSON.stringify(parameters)] : [text];
      const line = `      await queryRunner.query(${args.join(', ')});`;
      // Laid out as Prettier lays it out (printWidth 140), so the file passes \`npm run lint\` as written.
      return line.length <= 140 ? line : `      await queryRunner.query(\n${args.map((arg) => `        ${arg},\n`).join('')}      );`;
    })
    .join('\n');
}

interface Scratch {
  readonly url: string;
  remove(): Promise<void>;
}

function scratchSqlite(): Scratch {
  const dir = mkdtempSync(join(tmpdir(), 'migration-generate-'));
  return { url: `sqlite:${join(dir, 'schema.sqlite')}`, remove: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function scratchPostgres(server: string): Promise<Scratch> {
  const name = `migration_generate_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), remove: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
