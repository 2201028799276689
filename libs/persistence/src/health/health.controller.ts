import { Controller, Get } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError, Public } from '@app/platform';

class DatabaseUnavailable extends DomainError {
  readonly category = 'unavailable';
  readonly code = 'database-unavailable';
}

/** `GET /health`: 200 while the database answers, 503 while it does not. */
@Controller('health')
export class HealthController {
  constructor(private readonly dataSource: DataSource) {}

  @Public()
  @Get()
  async check(): Promise<{ status: 'ok' }> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      throw new DatabaseUnavailable('The database is unreachable.');
    }
    return { status: 'ok' };
  }
}
