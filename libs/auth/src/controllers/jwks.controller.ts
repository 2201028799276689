import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppConfig, Public } from '@app/platform';
import { JwkSetSchema } from '../openapi/jwk-set.schema.js';

/**
 * The public verification keys (RFC 7517), so other services can verify access tokens
 * without a shared secret. Under HS256 the key is a secret and must never be published: the
 * set is empty. With JWT_PRIVATE_KEY (ES256) it holds the public key, under the tokens' `kid`.
 */
@ApiTags('discovery')
@Controller('.well-known')
export class JwksController {
  private readonly keys: Record<string, string>[];

  constructor(config: AppConfig) {
    const { publicJwk, id, algorithm } = config.jwt;
    this.keys = publicJwk ? [{ ...publicJwk, kid: id, alg: algorithm, use: 'sig' }] : [];
  }

  @Public()
  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    operationId: 'getJwks',
    summary: 'Public verification keys (RFC 7517)',
    description: "Empty under HS256; the ES256 public key under the tokens' `kid` otherwise.",
  })
  @ApiOkResponse({ type: JwkSetSchema })
  jwks(): { keys: Record<string, string>[] } {
    return { keys: this.keys };
  }
}
