import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DatabaseHealth } from '@app/platform';

/** The health endpoints' questions (libs/platform's HealthModule), answered by the app's DataSource. */
@Injectable()
export class DataSourceHealth extends DatabaseHealth {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async answers(): Promise<boolean> {
    try {
      await this.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /** Every migration of this build is recorded as applied (an empty or missing table: none is). */
  async migrationsApplied(): Promise<boolean> {
    const table = this.dataSource.options.migrationsTableName ?? 'migrations';
    let applied: Set<string>;
    try {
      const rows = (await this.dataSource.query(`SELECT name FROM ${table}`)) as Array<{ name: string }>;
      applied = new Set(rows.map((row) => row.name));
    } catch {
      return false;
    }
    // TypeORM records a migration under its `name`, or else its class name.
    return this.dataSource.migrations.every((migration) => applied.has(migration.name ?? migration.constructor.name));
  }
}
