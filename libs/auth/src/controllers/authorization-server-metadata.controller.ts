import { Controller, Get, Header, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AppConfig, Public } from '@app/platform';
import { DPOP_SIGNING_ALGORITHMS } from '@device-auth/verifier/core';
import { AuthorizationServerMetadataSchema, type AuthorizationServerMetadata } from '../openapi/authorization-server-metadata.schema.js';

/**
 * `GET /.well-known/oauth-authorization-server` (RFC 8414). Absolute URLs from PUBLIC_URL;
 * without it, from the request's own scheme and host (TRUST_PROXY decides whether a proxy's
 * X-Forwarded-Proto/-Host count). `issuer` is always the `iss` of access tokens (JWT_ISSUER,
 * PUBLIC_URL by default), as RFC 8414 §3.3 and RFC 9068 §4 require. Sign-in itself is this
 * API's own `POST /auth/login`, not an OAuth grant: only `refresh_token` is listed, and clients
 * are public (no client authentication).
 */
@ApiTags('discovery')
@Controller('.well-known')
export class AuthorizationServerMetadataController {
  constructor(private readonly config: AppConfig) {}

  @Public()
  @Get('oauth-authorization-server')
  // Not for shared caches: without PUBLIC_URL the URLs echo the request's Host.
  @Header('Cache-Control', 'no-cache')
  @ApiOperation({ operationId: 'getAuthorizationServerMetadata', summary: 'Authorization server metadata (RFC 8414)' })
  @ApiOkResponse({ type: AuthorizationServerMetadataSchema })
  metadata(@Req() request: FastifyRequest): AuthorizationServerMetadata {
    const base = this.config.publicUrl ?? `${request.protocol}://${request.host}`;
    return {
      issuer: this.config.jwt.issuer,
      token_endpoint: `${base}/auth/refresh`,
      revocation_endpoint: `${base}/auth/revoke`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      grant_types_supported: ['refresh_token'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
      // RFC 9449 §5.1: the algorithms DPoP proofs may use.
      dpop_signing_alg_values_supported: DPOP_SIGNING_ALGORITHMS,
    };
  }
}
