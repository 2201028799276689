import { Controller, Get, Headers, HttpStatus, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { createHash } from 'node:crypto';
import { AppConfig, Clock, Public } from '@app/platform';
import { KeyRing } from '@app/keys';
import { JwkSetSchema } from '../openapi/jwk-set.schema.js';

/**
 * The public verification keys (RFC 7517), so other services can verify access tokens without
 * a shared secret (API.md § Signing keys and their rotation): every managed key published now
 * (the next one, the current one, retired ones until their last token expired), or the static
 * ES256 key. An HS256 secret is never published: the set is empty. Cacheable for JWKS_MAX_AGE,
 * with an ETag, so a verifier that revalidates pays one 304.
 */
@ApiTags('discovery')
@Controller('.well-known')
export class JwksController {
  private readonly cacheControl: string;

  constructor(
    config: AppConfig,
    private readonly keys: KeyRing,
    private readonly clock: Clock,
  ) {
    this.cacheControl = `public, max-age=${config.signingKeys.jwksMaxAge}`;
  }

  @Public()
  @Get('jwks.json')
  @ApiOperation({
    operationId: 'getJwks',
    summary: 'Public verification keys (RFC 7517)',
    description:
      'Every published key with `kid`, `alg` and `use: "sig"`; empty under a static HS256 secret. `Cache-Control: public, max-age=<JWKS_MAX_AGE>` and an `ETag`.',
  })
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'The ETag of a key set the client holds.' })
  @ApiOkResponse({ type: JwkSetSchema })
  @ApiResponse({ status: 304, description: 'The key set is the one the client holds (If-None-Match).' })
  jwks(
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): { keys: Record<string, string>[] } | undefined {
    const body = { keys: this.keys.publishedKeys(this.clock.now()) };
    const etag = `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 27)}"`;
    reply.header('Cache-Control', this.cacheControl).header('ETag', etag);
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
      reply.status(HttpStatus.NOT_MODIFIED);
      return undefined;
    }
    return body;
  }
}
