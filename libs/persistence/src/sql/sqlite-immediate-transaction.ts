import { QueryFailedError } from 'typeorm';
import { NothingChanged } from './sql-statement.js';

/** The parts of better-sqlite3's Database used here (the connection TypeORM opened). */
export interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  transaction<T>(work: () => T): { immediate(): T };
}
interface SqliteStatement {
  /** Whether the statement returns rows (a SELECT, or a write with RETURNING). */
  readonly reader: boolean;
  run(...values: unknown[]): { changes: number };
  all(...values: unknown[]): Record<string, unknown>[];
}

/** One step of a chain: its `?` text and its values in order. */
export interface SqliteStep {
  readonly text: string;
  readonly values: readonly unknown[];
}

const preparedBy = new WeakMap<SqliteConnection, Map<string, SqliteStatement>>();

/**
 * The one place this lib uses a driver feature TypeORM does not offer: a synchronous SQLite
 * transaction. TypeORM's SQLite driver gives every query runner of a process the same
 * connection, so its transactions (BEGIN, await each statement, COMMIT) would take in any
 * statement another request issues meanwhile. better-sqlite3's `transaction(…).immediate()`
 * takes the write lock first (no other process can write in between either) and runs the steps
 * with nothing of this process in between, because nothing here awaits.
 *
 * Runs `steps` in order while each changes exactly one row; true when all did. A step that
 * changes none ends the chain and the transaction commits what the steps before it did (the
 * same as PostgreSQL's data-modifying CTEs, which all run).
 */
export function runInImmediateTransaction(connection: SqliteConnection, steps: readonly SqliteStep[]): boolean {
  const statementOf = preparedOn(connection);
  return connection
    .transaction(() => {
      for (const step of steps) {
        let changes: number;
        try {
          changes = statementOf(step.text).run(...step.values).changes;
        } catch (error) {
          throw new QueryFailedError(step.text, [...step.values], error as Error);
        }
        if (changes !== 1) return false;
      }
      return true;
    })
    .immediate();
}

/** One statement of an atomic group: its `?` text, its values, and whether it must change a row. */
export interface SqliteGroupStep extends SqliteStep {
  readonly name: string;
  readonly mustChange: boolean;
}

/**
 * Runs a group (SqlRunner.atomically) in one immediate transaction, for the same reason as a
 * chain: every statement or none. A `mustChange` step that changes nothing throws
 * NothingChanged, which rolls back the steps before it. Returns each step's rows (for a
 * statement that returns rows) and affected count.
 */
export function runGroupInImmediateTransaction(
  connection: SqliteConnection,
  steps: readonly SqliteGroupStep[],
): { rows: Record<string, unknown>[]; affected: number }[] {
  const statementOf = preparedOn(connection);
  return connection
    .transaction(() =>
      steps.map((step) => {
        let result: { rows: Record<string, unknown>[]; affected: number };
        try {
          const statement = statementOf(step.text);
          if (statement.reader) {
            const rows = statement.all(...step.values);
            result = { rows, affected: rows.length };
          } else {
            result = { rows: [], affected: statement.run(...step.values).changes };
          }
        } catch (error) {
          throw new QueryFailedError(step.text, [...step.values], error as Error);
        }
        if (step.mustChange && result.affected === 0) throw new NothingChanged(step.name);
        return result;
      }),
    )
    .immediate();
}

/** The connection's prepared statements, by text (prepared once). */
function preparedOn(connection: SqliteConnection): (text: string) => SqliteStatement {
  let prepared = preparedBy.get(connection);
  if (prepared === undefined) preparedBy.set(connection, (prepared = new Map()));
  const cache = prepared;
  return (text) => {
    let statement = cache.get(text);
    if (statement === undefined) cache.set(text, (statement = connection.prepare(text)));
    return statement;
  };
}
