import { Logger } from '@nestjs/common';
import { DataSource, QueryFailedError, type EntityManager, type QueryRunner } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { NothingChanged, type BoundStatement, type SqlChain, type SqlDialect, type SqlStatement } from './sql-statement.js';
import { runGroupInImmediateTransaction, runInImmediateTransaction, type SqliteConnection } from './sqlite-immediate-transaction.js';

export interface SqlResult {
  readonly rows: Record<string, unknown>[];
  /** Rows the statement changed (or, for a statement that returns rows, how many it returned). */
  readonly affected: number;
}

/** `:name` parameters; `::type` casts are not parameters. */
const PARAMETER = /(?<!:):([A-Za-z_][A-Za-z0-9_]*)/g;

/** A statement's text in its driver's placeholders, and the parameter behind each. */
interface Compiled {
  readonly text: string;
  readonly names: readonly string[];
  /** PostgreSQL: the name its connections prepare it under, one per text. */
  readonly preparedName: string;
}

/** The parts of pg's Pool used here (the pool TypeORM opened). */
interface PgPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}

/**
 * PostgreSQL ended the transaction to break a deadlock (40P01) or a serialization failure
 * (40001): it was rolled back whole, nothing of it happened, and PostgreSQL's documentation
 * asks the application to run it again.
 */
const ROLLED_BACK_BY_CONFLICT = new Set(['40P01', '40001']);
/** Runs again after such a rollback, before the error reaches the caller. */
const CONFLICT_RETRIES = 3;

function isRolledBackByConflict(error: unknown): boolean {
  const code = (error as { driverError?: { code?: unknown } } | null)?.driverError?.code;
  return typeof code === 'string' && ROLLED_BACK_BY_CONFLICT.has(code);
}

const logger = new Logger('SqlRunner');

const compiledTexts: Record<SqlDialect, Map<string, Compiled>> = { sqlite: new Map(), postgres: new Map() };

/**
 * `:name` → `$n` (PostgreSQL: one number per name) or `?` (SQLite: one per occurrence), once per
 * text: cheaper than TypeORM's escapeQueryWithParameters on every call, which the refresh hot
 * path would pay twice per rotation.
 */
function compile(sql: string, dialect: SqlDialect): Compiled {
  let compiled = compiledTexts[dialect].get(sql);
  if (compiled === undefined) {
    const names: string[] = [];
    const text = sql.replace(PARAMETER, (_match, name: string) => {
      if (dialect === 'sqlite') {
        names.push(name);
        return '?';
      }
      let index = names.indexOf(name);
      if (index === -1) index = names.push(name) - 1;
      return `$${index + 1}`;
    });
    compiled = { text, names, preparedName: `${dialect}_${compiledTexts[dialect].size}` };
    compiledTexts[dialect].set(sql, compiled);
  }
  return compiled;
}

function valuesOf(compiled: Compiled, parameters: object, dialect: SqlDialect): unknown[] {
  const bag = parameters as Record<string, unknown>;
  return compiled.names.map((name) => {
    const value = bag[name];
    if (value === undefined) return null;
    // SQLite binds no arrays: the statements read them with json_each.
    if (Array.isArray(value) && dialect === 'sqlite') return JSON.stringify(value);
    return value;
  });
}

/**
 * Runs the named statements of `sql/` on either driver, through TypeORM's public API
 * (`QueryRunner.query(sql, values, true)`, whose structured result carries the rows and the
 * affected count). Over the app's DataSource, or over a transaction's EntityManager (then the
 * statements run in that transaction).
 *
 * One exception, for speed: on PostgreSQL a statement outside a transaction goes to the pool
 * TypeORM opened as a named prepared statement (parsed and planned once per connection, not on
 * every call, and no query runner taken and released around it). The refresh path is two such
 * statements; through the query runner it cost half as much again in server CPU (BENCHMARKS.md).
 *
 * A statement or group that runs in a transaction of its own (not the caller's) and is rolled
 * back by PostgreSQL to break a deadlock runs again, up to CONFLICT_RETRIES times, with a
 * warning naming it: the statements take their row locks in one order where they can (see
 * login-attempts.sql.ts), and a deadlock left is a bug to fix, not a 500 to answer.
 */
export class SqlRunner {
  private readonly dataSource: DataSource;
  private readonly transactionRunner: QueryRunner | undefined;
  readonly dialect: SqlDialect;

  constructor(target: DataSource | EntityManager) {
    if (target instanceof DataSource) {
      this.dataSource = target;
    } else {
      this.dataSource = target.connection;
      this.transactionRunner = target.queryRunner;
    }
    this.dialect = this.dataSource.options.type === 'postgres' ? 'postgres' : 'sqlite';
  }

  async run<P extends object>(statement: SqlStatement<P>, parameters: P): Promise<SqlResult> {
    const compiled = compile(statement[this.dialect], this.dialect);
    const values = valuesOf(compiled, parameters, this.dialect);
    if (this.dialect === 'postgres' && this.transactionRunner === undefined) {
      return this.againAfterConflict(statement.name, () => this.runPrepared(compiled, values));
    }
    const runner = this.transactionRunner ?? this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(compiled.text, values, true);
      const rows = (result.records ?? []) as Record<string, unknown>[];
      return { rows, affected: result.affected ?? rows.length };
    } finally {
      if (runner !== this.transactionRunner) await runner.release();
    }
  }

  /** PostgreSQL, outside a transaction: the statement prepared on the pool's connection, by name. */
  private async runPrepared(compiled: Compiled, values: unknown[]): Promise<SqlResult> {
    const pool = (this.dataSource.driver as PostgresDriver).master as PgPool;
    try {
      const result = await pool.query({ name: compiled.preparedName, text: compiled.text, values });
      return { rows: result.rows, affected: result.rowCount ?? result.rows.length };
    } catch (error) {
      // As TypeORM's query runner reports it, so callers see one kind of failure.
      throw new QueryFailedError(compiled.text, values, error as Error);
    }
  }

  /** The statement's rows. */
  async rows<P extends object>(statement: SqlStatement<P>, parameters: P): Promise<Record<string, unknown>[]> {
    return (await this.run(statement, parameters)).rows;
  }

  /** How many rows the statement changed. */
  async affected<P extends object>(statement: SqlStatement<P>, parameters: P): Promise<number> {
    return (await this.run(statement, parameters)).affected;
  }

  /** Runs a chain (see SqlChain): true when every step changed exactly one row. */
  async runChain<P extends object>(chain: SqlChain<P>, parameters: P): Promise<boolean> {
    if (this.dialect === 'postgres') {
      return (await this.run({ name: chain.name, sqlite: '', postgres: chain.postgres }, parameters)).affected === 1;
    }
    const steps = chain.sqlite.map((sql) => {
      const compiled = compile(sql, 'sqlite');
      return { text: compiled.text, values: valuesOf(compiled, parameters, 'sqlite') };
    });
    const runner = this.transactionRunner ?? this.dataSource.createQueryRunner();
    try {
      // QueryRunner.connect() is TypeORM's public way to the driver's connection.
      const connection = (await runner.connect()) as SqliteConnection;
      return runInImmediateTransaction(connection, steps);
    } finally {
      if (runner !== this.transactionRunner) await runner.release();
    }
  }

  /**
   * Runs a group of bound statements all or nothing, in order, and returns each one's result.
   * A `mustChange` statement that changes nothing rolls the group back (NothingChanged); so does
   * any failure. SQLite: one immediate transaction (see sqlite-immediate-transaction.ts);
   * PostgreSQL: a transaction on a connection of its own (or the caller's transaction).
   * @throws NothingChanged, or the failing statement's error
   */
  async atomically(group: readonly BoundStatement[]): Promise<SqlResult[]> {
    if (this.dialect === 'sqlite') {
      const steps = group.map(({ statement, parameters, mustChange }) => {
        const compiled = compile(statement.sqlite, 'sqlite');
        return { name: statement.name, text: compiled.text, values: valuesOf(compiled, parameters, 'sqlite'), mustChange };
      });
      const runner = this.transactionRunner ?? this.dataSource.createQueryRunner();
      try {
        return runGroupInImmediateTransaction((await runner.connect()) as SqliteConnection, steps);
      } finally {
        if (runner !== this.transactionRunner) await runner.release();
      }
    }
    if (this.transactionRunner !== undefined) return this.runGroup(this.transactionRunner, group);
    return this.againAfterConflict(group.map(({ statement }) => statement.name).join(' + '), () => this.runGroupAlone(group));
  }

  /** Runs `attempt` (one transaction of its own) again while PostgreSQL rolls it back to break a conflict. */
  private async againAfterConflict<T>(name: string, attempt: () => Promise<T>): Promise<T> {
    for (let retry = 1; ; retry++) {
      try {
        return await attempt();
      } catch (error) {
        if (retry > CONFLICT_RETRIES || !isRolledBackByConflict(error)) throw error;
        logger.warn(
          `${name}: rolled back by PostgreSQL to break a deadlock or serialization conflict; running it again (${retry} of ${CONFLICT_RETRIES})`,
        );
      }
    }
  }

  /** PostgreSQL: the group in a transaction on a connection of its own. */
  private async runGroupAlone(group: readonly BoundStatement[]): Promise<SqlResult[]> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      const results = await this.runGroup(runner, group);
      await runner.commitTransaction();
      return results;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
  }

  /** The group's statements in order on `runner` (PostgreSQL), inside its transaction. */
  private async runGroup(runner: QueryRunner, group: readonly BoundStatement[]): Promise<SqlResult[]> {
    const results: SqlResult[] = [];
    for (const { statement, parameters, mustChange } of group) {
      const compiled = compile(statement.postgres, 'postgres');
      const result = await runner.query(compiled.text, valuesOf(compiled, parameters, 'postgres'), true);
      const rows = (result.records ?? []) as Record<string, unknown>[];
      const affected = result.affected ?? rows.length;
      if (mustChange && affected === 0) throw new NothingChanged(statement.name);
      results.push({ rows, affected });
    }
    return results;
  }
}

/** True when an insert failed on a unique index (SQLite or PostgreSQL). */
export function isUniqueViolation(error: unknown): boolean {
  const driverError = (error as { driverError?: { code?: unknown } } | null)?.driverError;
  return (
    driverError?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    driverError?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    driverError?.code === '23505'
  );
}
