import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { BoundStatement } from './sql/sql-statement.js';
import { SqlRunner, type SqlResult } from './sql/sql-runner.js';

/**
 * Runs groups of repositories' bound statements atomically (SqlRunner.atomically) over the
 * app's DataSource: the services' way to commit a change together with what it causes (the
 * mail it queues, the link it spends).
 */
@Injectable()
export class Transactions {
  private readonly sql: SqlRunner;

  constructor(dataSource: DataSource) {
    this.sql = new SqlRunner(dataSource);
  }

  /** @throws NothingChanged when a `mustChange` statement changed nothing (the group was rolled back) */
  run(group: readonly BoundStatement[]): Promise<SqlResult[]> {
    return this.sql.atomically(group);
  }
}
