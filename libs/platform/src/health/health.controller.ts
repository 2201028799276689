import { Controller, Get, type BeforeApplicationShutdown } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DomainError } from '../errors/domain-error.js';
import { ApiProblemResponse } from '../openapi/api-responses.decorator.js';
import { Public } from '../public.decorator.js';
import { DatabaseHealth } from './database-health.js';
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

  constructor(private readonly database: DatabaseHealth) {}

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
    if (!(await this.database.answers())) throw new DatabaseUnavailable('The database is unreachable.');
  }

  private migrationsApplied(): Promise<boolean> {
    return this.database.migrationsApplied();
  }
}
