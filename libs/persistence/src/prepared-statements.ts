import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { SqlResult } from './sql.js';

/** The parts of better-sqlite3's API used here (the driver TypeORM opened). */
interface SqliteStatement {
  readonly reader: boolean;
  all(parameters: Record<string, unknown>): Record<string, unknown>[];
  run(parameters: Record<string, unknown>): { changes: number };
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  transaction<T>(work: () => T): { immediate(): T };
}
/** The parts of pg's Pool used here (the pool TypeORM opened). */
interface PostgresPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}

/** `:name` parameters; `::type` casts are not parameters. */
const PARAMETER = /(?<!:):([A-Za-z_][A-Za-z0-9_]*)/g;

interface Prepared {
  readonly names: readonly string[];
  readonly text: string;
  readonly name: string;
  sqlite?: SqliteStatement;
}

/** Runs one statement synchronously inside `PreparedStatements.sqliteTransaction`. */
export type SyncSql = (sql: string, parameters?: Record<string, unknown>) => SqlResult;

/**
 * The refresh hot path's statements, prepared once by the driver itself instead of going
 * through TypeORM's query runner (parameter escaping, a runner per statement, event
 * broadcasts: more CPU than the statements, measured with `npm run bench`, figure 4). Same
 * `:name` parameters as executeSql. On SQLite, better-sqlite3's cached statements and its
 * synchronous transactions; on PostgreSQL, pg's named prepared statements on the pool.
 */
export class PreparedStatements {
  private readonly statements = new Map<string, Prepared>();

  constructor(private readonly dataSource: DataSource) {}

  get isSqlite(): boolean {
    return this.dataSource.options.type === 'better-sqlite3';
  }

  async query(sql: string, parameters: Record<string, unknown> = {}): Promise<SqlResult> {
    if (this.isSqlite) return this.runSqlite(sql, parameters);
    const prepared = this.prepare(sql);
    const pool = (this.dataSource.driver as unknown as { master: PostgresPool }).master;
    const result = await pool.query({
      name: prepared.name,
      text: prepared.text,
      values: prepared.names.map((name) => parameters[name] ?? null),
    });
    return { rows: result.rows, affected: result.rowCount ?? result.rows.length };
  }

  /**
   * SQLite only: `work` runs in one immediate (write-locked) transaction, synchronously, so no
   * other statement of this process or another can come between its statements.
   */
  sqliteTransaction<T>(work: (sql: SyncSql) => T): T {
    if (!this.isSqlite) throw new Error('sqliteTransaction is for SQLite only');
    return this.sqliteDatabase()
      .transaction(() => work((sql, parameters = {}) => this.runSqlite(sql, parameters)))
      .immediate();
  }

  private runSqlite(sql: string, parameters: Record<string, unknown>): SqlResult {
    const prepared = this.prepare(sql);
    prepared.sqlite ??= this.sqliteDatabase().prepare(sql);
    const bound: Record<string, unknown> = {};
    for (const name of prepared.names) bound[name] = parameters[name] ?? null;
    if (prepared.sqlite.reader) {
      const rows = prepared.sqlite.all(bound);
      return { rows, affected: rows.length };
    }
    return { rows: [], affected: prepared.sqlite.run(bound).changes };
  }

  private sqliteDatabase(): SqliteDatabase {
    return (this.dataSource.driver as unknown as { databaseConnection: SqliteDatabase }).databaseConnection;
  }

  private prepare(sql: string): Prepared {
    let prepared = this.statements.get(sql);
    if (prepared === undefined) {
      const names: string[] = [];
      const text = sql.replace(PARAMETER, (_match, name: string) => {
        let index = names.indexOf(name);
        if (index === -1) index = names.push(name) - 1;
        return `$${index + 1}`;
      });
      prepared = { names, text, name: `hot_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}` };
      this.statements.set(sql, prepared);
    }
    return prepared;
  }
}
