import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppConfig, Public } from '@app/platform';
import { ServiceInfoSchema } from './openapi/service-info.schema.js';

/** `GET /`: what this service is, from configuration alone (no database work). */
@ApiTags('service')
@Controller()
export class RootController {
  private readonly info: { name: string; version: string };

  constructor(config: AppConfig) {
    this.info = { name: config.appName, version: config.appVersion };
  }

  @Public()
  @Get()
  @ApiOperation({
    operationId: 'getServiceInfo',
    summary: 'What this service is',
    description: 'From configuration alone, no database work.',
  })
  @ApiOkResponse({ type: ServiceInfoSchema })
  root(): { name: string; version: string } {
    return this.info;
  }
}
