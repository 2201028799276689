import { Controller, Get, Header } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Public, readPackageInfo } from '@app/platform';
import { dashboardScripts } from './scripts.js';

/** A year: script URLs carry their content's hash (`?v=`), so a changed script is a new URL. */
const SCRIPT_CACHE = 'public, max-age=31536000, immutable';
const JAVASCRIPT = 'text/javascript; charset=utf-8';

/**
 * The one stylesheet and the passkey pages' two scripts, read once at start (CSP allows styles
 * and scripts from 'self' only, nothing inline).
 */
@Controller('static')
export class AssetsController {
  private readonly stylesheet = readFileSync(join(readPackageInfo().root, 'apps/admin/public/app.css'), 'utf8');
  private readonly scripts = dashboardScripts();

  @Public()
  @Get('app.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=300')
  css(): string {
    return this.stylesheet;
  }

  @Public()
  @Get('simplewebauthn-browser.js')
  @Header('Content-Type', JAVASCRIPT)
  @Header('Cache-Control', SCRIPT_CACHE)
  webauthn(): string {
    return this.scripts.webauthn.body;
  }

  @Public()
  @Get('passkeys.js')
  @Header('Content-Type', JAVASCRIPT)
  @Header('Cache-Control', SCRIPT_CACHE)
  passkeys(): string {
    return this.scripts.passkeys.body;
  }
}
