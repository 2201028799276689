import { Controller, Get } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponse, DomainError, Public } from '@app/platform';
import { HealthStatusSchema } from './health-status.schema.js';

class DatabaseUnavailable extends DomainError {
  readonly category = 'unavailable';
  readonly code = 'database-unavailable';
}

/** `GET /health`: 200 while the database answers, 503 while it does not. */
@ApiTags('service')
@Controller('health')
export class HealthController {
  constructor(private readonly dataSource: DataSource) {}

  @Public()
  @Get()
  @ApiOperation({ operationId: 'getHealth', summary: 'Health: the database answers' })
  @ApiOkResponse({ type: HealthStatusSchema })
  @ApiProblemResponse(503, 'The database is unreachable.')
  async check(): Promise<{ status: 'ok' }> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      throw new DatabaseUnavailable('The database is unreachable.');
    }
    return { status: 'ok' };
  }
}
