/** The two databases this service runs on (the DataSource's driver). */
export type SqlDialect = 'sqlite' | 'postgres';

/**
 * "Now" in epoch milliseconds by the database's clock, not the app process's: every process of
 * a deployment reads the same clock there, however wrong its own is. PostgreSQL's server clock;
 * for SQLite, the clock of the host the file lives on (SQLite reads the OS clock itself).
 */
const DATABASE_NOW_MS: Record<SqlDialect, string> = {
  postgres: 'CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000) AS BIGINT)',
  sqlite: "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
};

/** What a statement's text may depend on: its dialect, and the SQL that differs between the two. */
export interface SqlDialectParts {
  readonly dialect: SqlDialect;
  /** The database's "now", epoch ms. */
  readonly nowMs: string;
  /** `column` is one of the strings in the array parameter `parameter`. */
  inList(column: string, parameter: string): string;
}

const PARTS: Record<SqlDialect, SqlDialectParts> = {
  sqlite: {
    dialect: 'sqlite',
    nowMs: DATABASE_NOW_MS.sqlite,
    inList: (column, parameter) => `${column} IN (SELECT value FROM json_each(:${parameter}))`,
  },
  postgres: {
    dialect: 'postgres',
    nowMs: DATABASE_NOW_MS.postgres,
    inList: (column, parameter) => `${column} = ANY(CAST(:${parameter} AS VARCHAR[]))`,
  },
};

/**
 * One named statement with `:name` parameters, its SQLite and PostgreSQL text (the same text
 * when they agree). `P` names its parameters, so a caller cannot leave one out or misspell it.
 * A parameter holding an array is passed as an array on PostgreSQL (read with `unnest` or
 * `= ANY`) and as JSON on SQLite (read with `json_each`), so a statement's text never depends
 * on how many values it gets.
 */
export interface SqlStatement<P extends object> {
  readonly name: string;
  readonly sqlite: string;
  readonly postgres: string;
  /** Type-only: the parameters. */
  readonly parameters?: P;
}

/**
 * A statement SQLite cannot write as one: PostgreSQL runs `postgres` (data-modifying CTEs,
 * atomic); SQLite runs the `sqlite` steps in order in one immediate (write-locked) transaction,
 * each only if the one before changed exactly one row. Succeeds (true) when every step did.
 */
export interface SqlChain<P extends object> {
  readonly name: string;
  readonly postgres: string;
  readonly sqlite: readonly string[];
  readonly parameters?: P;
}

export type StatementText = string | Readonly<Record<SqlDialect, string>> | ((parts: SqlDialectParts) => string);

function textFor(text: StatementText, dialect: SqlDialect): string {
  if (typeof text === 'string') return text;
  if (typeof text === 'function') return text(PARTS[dialect]);
  return text[dialect];
}

/** Declares a named statement: one text, one per dialect, or a function of the dialect's parts. */
export function sqlStatement<P extends object = Record<string, never>>(name: string, text: StatementText): SqlStatement<P> {
  return { name, sqlite: textFor(text, 'sqlite'), postgres: textFor(text, 'postgres') };
}

/** Declares a chain (see SqlChain). */
export function sqlChain<P extends object>(name: string, chain: { postgres: string; sqlite: readonly string[] }): SqlChain<P> {
  return { name, postgres: chain.postgres, sqlite: chain.sqlite };
}

/**
 * A named statement with its parameters, as a value: repositories build them, services group
 * them so the statements of one change commit or fail together (SqlRunner.atomically, the
 * Transactions service).
 */
export interface BoundStatement {
  readonly statement: SqlStatement<object>;
  readonly parameters: object;
  /** Roll the whole group back unless this statement changes a row (a condition that no longer holds). */
  readonly mustChange: boolean;
}

/** Binds `parameters` to `statement` for a group. */
export function bind<P extends object>(statement: SqlStatement<P>, parameters: P, options: { mustChange?: boolean } = {}): BoundStatement {
  return { statement, parameters, mustChange: options.mustChange ?? false };
}

/** A `mustChange` statement of a group changed nothing: the whole group was rolled back. */
export class NothingChanged extends Error {
  constructor(readonly statementName: string) {
    super(`${statementName} changed nothing; its group was rolled back`);
    this.name = 'NothingChanged';
  }
}
