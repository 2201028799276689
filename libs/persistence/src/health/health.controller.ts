import { Controller, Get, type BeforeApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponse, DomainError, Public } from '@app/platform';
import { HealthStatusSchema } from './health-status.schema.js';

class DatabaseUnavailable extends DomainError {
  readonly category = 'unavailable';
  readonly code = 'database-unavailable';
}

class NotReady extends DomainError {
  readonly category = 'unavailable';
  readonly code = 'not-ready';
}

/**
 * `GET /health`: 200 while the database answers, 503 while it does not.
 * `GET /health/live`: the process runs and serves HTTP (no database work): restart it if not.
 * `GET /health/ready`: send it traffic: the database answers, every migration this build knows
 * is applied, and the process is not shutting down.
 */
@ApiTags('service')
@Controller('health')
export class HealthController implements BeforeApplicationShutdown {
  /** Migrations are never un-applied: once all are found, the check is not repeated. */
  private migrated = false;
  private stopping = false;

  constructor(private readonly dataSource: DataSource) {}

  @Public()
  @Get()
  @ApiOperation({ operationId: 'getHealth', summary: 'Health: the database answers' })
  @ApiOkResponse({ type: HealthStatusSchema })
  @ApiProblemResponse(503, 'The database is unreachable.')
  async check(): Promise<{ status: 'ok' }> {
    await this.databaseAnswers();
    return { status: 'ok' };
  }

  @Public()
  @Get('live')
  @ApiOperation({ operationId: 'getLiveness', summary: 'Liveness: the process serves HTTP (no database work)' })
  @ApiOkResponse({ type: HealthStatusSchema })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Public()
  @Get('ready')
  @ApiOperation({
    operationId: 'getReadiness',
    summary: 'Readiness: the database answers, migrations are applied, the process is not shutting down',
  })
  @ApiOkResponse({ type: HealthStatusSchema })
  @ApiProblemResponse(503, 'Not ready: the database is unreachable, a migration is pending, or the process is shutting down.')
  async ready(): Promise<{ status: 'ok' }> {
    // A draining process still finishes its requests, but a load balancer should stop sending more.
    if (this.stopping) throw new NotReady('The service is shutting down.');
    await this.databaseAnswers();
    if (!this.migrated) {
      this.migrated = await this.migrationsApplied();
      if (!this.migrated) throw new NotReady('The database schema is not up to date: run the migrations.');
    }
    return { status: 'ok' };
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  private async databaseAnswers(): Promise<void> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      throw new DatabaseUnavailable('The database is unreachable.');
    }
  }

  /** Every migration of this build is recorded as applied (an empty or missing table: none is). */
  private async migrationsApplied(): Promise<boolean> {
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
