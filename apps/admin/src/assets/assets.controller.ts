import { Controller, Get, Header } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Public, readPackageInfo } from '@app/platform';

/** The one stylesheet, read once at start (CSP allows styles from 'self' only). */
@Controller('static')
export class AssetsController {
  private readonly stylesheet = readFileSync(join(readPackageInfo().root, 'apps/admin/public/app.css'), 'utf8');

  @Public()
  @Get('app.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=300')
  css(): string {
    return this.stylesheet;
  }
}
