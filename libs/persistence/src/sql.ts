import type { DataSource } from 'typeorm';

export interface SqlResult {
  readonly rows: Record<string, unknown>[];
  readonly affected: number;
}

/**
 * Runs one SQL statement with `:name` / `:...list` parameters on either driver. Used for the
 * statements the repository API cannot express portably: conditional updates with RETURNING
 * (SQLite 3.35+ and PostgreSQL both have it) and batched updates.
 */
export async function executeSql(dataSource: DataSource, sql: string, parameters: Record<string, unknown> = {}): Promise<SqlResult> {
  const [query, values] = dataSource.driver.escapeQueryWithParameters(sql, parameters);
  const runner = dataSource.createQueryRunner();
  try {
    const result = await runner.query(query, values as unknown[], true);
    const rows = (result.records ?? []) as Record<string, unknown>[];
    return { rows, affected: result.affected ?? rows.length };
  } finally {
    await runner.release();
  }
}

/** True when an insert failed on a unique index (SQLite or PostgreSQL). */
export function isUniqueViolation(error: unknown): boolean {
  // TypeORM wraps the driver's error (driverError); statements run on the driver directly throw it as is.
  const { code } = (error as { driverError?: { code?: unknown } } | null)?.driverError ?? (error as { code?: unknown } | null) ?? {};
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/**
 * SQL for "now" in epoch milliseconds by the database's clock, not the app process's: every
 * process of a deployment reads the same clock there, however wrong its own is. PostgreSQL's
 * server clock; for SQLite, the clock of the host the file lives on (SQLite reads the OS
 * clock itself, whatever the JavaScript runtime thinks the time is).
 */
export function databaseNowMs(dataSource: DataSource): string {
  return dataSource.options.type === 'postgres'
    ? 'CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000) AS BIGINT)'
    : "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
}
