import { Controller, Get, Header, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiProblemResponse, AppConfig, Public } from '@app/platform';
import { POLL_DELIVERY, PUSH_DELIVERY } from '../events/ssf-event-types.js';
import { SetSigner } from '../set-signer.js';
import { SsfTransmitterOff } from '../ssf.errors.js';
import { TRANSMITTER_METADATA_SCHEMA } from './ssf-openapi.js';
import { transmitterBaseUrl } from './transmitter-base-url.js';

/**
 * `GET /.well-known/ssf-configuration` (SSF 1.0 §7): how a receiver finds everything else.
 * `issuer` is the `iss` of the SETs (JWT_ISSUER, as for access tokens), `jwks_uri` the API's
 * key set, whose keys verify them. Off (404) without an asymmetric signing key.
 */
@ApiTags('shared signals')
@Controller('.well-known')
export class SsfConfigurationController {
  constructor(
    private readonly config: AppConfig,
    private readonly signer: SetSigner,
  ) {}

  @Public()
  @Get('ssf-configuration')
  // Not for shared caches: without PUBLIC_URL the URLs echo the request's Host.
  @Header('Cache-Control', 'no-cache')
  @ApiOperation({ operationId: 'getSsfConfiguration', summary: 'Shared Signals transmitter metadata (SSF 1.0 §7)' })
  @ApiOkResponse({ description: 'The transmitter configuration metadata.', schema: TRANSMITTER_METADATA_SCHEMA })
  @ApiProblemResponse(404, 'The transmitter is off: no asymmetric signing key (JWT_SECRET is HS256).')
  metadata(@Req() request: FastifyRequest): Record<string, unknown> {
    if (!this.signer.available) throw new SsfTransmitterOff();
    const base = transmitterBaseUrl(this.config, request);
    return {
      spec_version: '1_0',
      issuer: this.config.jwt.issuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      delivery_methods_supported: [PUSH_DELIVERY, POLL_DELIVERY],
      configuration_endpoint: `${base}/ssf/streams`,
      status_endpoint: `${base}/ssf/status`,
      verification_endpoint: `${base}/ssf/verify`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6750' }],
      default_subjects: 'ALL',
    };
  }
}
