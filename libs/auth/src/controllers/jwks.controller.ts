import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '@app/platform';

/**
 * The public verification keys. Access tokens are HS256 (a shared secret that must never be
 * published), so the set is empty; it is where ES256 public keys would appear.
 */
@Controller('.well-known')
export class JwksController {
  @Public()
  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  jwks(): { keys: unknown[] } {
    return { keys: [] };
  }
}
