import { Controller, Get } from '@nestjs/common';
import { AppConfig, Public } from '@app/platform';

/** `GET /`: what this service is, from configuration alone (no database work). */
@Controller()
export class RootController {
  private readonly info: { name: string; version: string };

  constructor(config: AppConfig) {
    this.info = { name: config.appName, version: config.appVersion };
  }

  @Public()
  @Get()
  root(): { name: string; version: string } {
    return this.info;
  }
}
