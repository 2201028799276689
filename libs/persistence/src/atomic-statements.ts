import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PreparedStatements } from './prepared-statements.js';
import type { SqlResult } from './sql.js';

/** One SQL statement with `:name` parameters, as a value: repositories build them, callers group them. */
export interface Statement {
  readonly sql: string;
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** Roll everything back unless this statement changed at least one row (a condition that no longer holds). */
  readonly mustChange?: boolean;
}

/** A `mustChange` statement changed nothing: the whole group was rolled back. */
export class NothingChanged extends Error {
  constructor(readonly statement: number) {
    super(`statement ${statement} of an atomic group changed nothing; the group was rolled back`);
    this.name = 'NothingChanged';
  }
}

/**
 * Runs `statements` in one transaction, all or nothing, and returns each one's result.
 *
 * SQLite: one synchronous better-sqlite3 transaction (BEGIN IMMEDIATE), because the driver TypeORM
 * opened is one connection shared by every request of the process: an async TypeORM transaction
 * on it would take in any other request's statements issued meanwhile. Nothing can come between
 * synchronous statements. PostgreSQL: a transaction on a connection of its own.
 */
export async function runAtomically(dataSource: DataSource, statements: readonly Statement[]): Promise<SqlResult[]> {
  const prepared = preparedFor(dataSource);
  if (prepared.isSqlite) {
    return prepared.sqliteTransaction((sql) =>
      statements.map((statement, index) => {
        const result = sql(statement.sql, { ...statement.parameters });
        if (statement.mustChange && result.affected === 0) throw new NothingChanged(index);
        return result;
      }),
    );
  }
  const runner = dataSource.createQueryRunner();
  try {
    await runner.startTransaction();
    const results: SqlResult[] = [];
    for (const [index, statement] of statements.entries()) {
      const [query, values] = dataSource.driver.escapeQueryWithParameters(statement.sql, { ...statement.parameters });
      const result = await runner.query(query, values as unknown[], true);
      const rows = (result.records ?? []) as Record<string, unknown>[];
      const affected = result.affected ?? rows.length;
      if (statement.mustChange && affected === 0) throw new NothingChanged(index);
      results.push({ rows, affected });
    }
    await runner.commitTransaction();
    return results;
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    throw error;
  } finally {
    await runner.release();
  }
}

/** One statement cache per database (statements are prepared once, on SQLite by the driver). */
const PREPARED = new WeakMap<DataSource, PreparedStatements>();
function preparedFor(dataSource: DataSource): PreparedStatements {
  let prepared = PREPARED.get(dataSource);
  if (!prepared) PREPARED.set(dataSource, (prepared = new PreparedStatements(dataSource)));
  return prepared;
}

/** runAtomically over the app's DataSource, for services that group repositories' statements. */
@Injectable()
export class Transactions {
  constructor(private readonly dataSource: DataSource) {}

  run(statements: readonly Statement[]): Promise<SqlResult[]> {
    return runAtomically(this.dataSource, statements);
  }
}
