import { Body, Controller, Header, Headers, HttpCode, Post, UseFilters, UseInterceptors } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiOAuthErrorResponse, OAuthErrorFilter, Public, wireHeaders, type RequestOrigin, Origin } from '@app/platform';
import { Dpop, type DpopRequest } from '../dpop/dpop-request.js';
import { ApiRefreshRequestBody, ApiRevokeRequestBody, readRefreshRequest, readRevokeRequest } from '../dto/token-requests.js';
import { DeviceLogInterceptor } from '../logging/device-log.interceptor.js';
import { AuthMetrics } from '../metrics/auth-metrics.js';
import { ApiDpopProofHeader } from '../openapi/api-access-token.decorator.js';
import { TokenResponseSchema } from '../openapi/token-response.schema.js';
import { RefreshTokenService } from '../tokens/refresh-token.service.js';
import type { TokenResponse } from '../tokens/token-response.js';

/** The OAuth-shaped endpoints: errors here are RFC 6749 §5.2, not problem+json. */
@ApiTags('auth')
@Controller('auth')
@UseFilters(OAuthErrorFilter)
export class TokenController {
  constructor(
    private readonly refreshTokens: RefreshTokenService,
    private readonly metrics: AuthMetrics,
  ) {}

  @Public()
  @Post('refresh')
  @UseInterceptors(DeviceLogInterceptor)
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'refreshTokens',
    summary: 'Refresh the tokens (RFC 6749 §6)',
    description:
      'Rotates the refresh token: the response carries a new one and the one sent is spent. A key-bound device needs a `DPoP` proof by its key; an unbound device that sends a valid proof becomes bound (RFC 9449 §5).',
  })
  @ApiRefreshRequestBody()
  @ApiDpopProofHeader('Required for a key-bound device: a proof by its key (RFC 9449 §4, §5).')
  @ApiOkResponse({
    type: TokenResponseSchema,
    description: 'New tokens; the refresh token sent is spent.',
    headers: wireHeaders('Cache-Control'),
  })
  @ApiOAuthErrorResponse(
    400,
    '`invalid_request`, `unsupported_grant_type`, `invalid_grant` (with `reason`), `invalid_dpop_proof`, or `use_dpop_nonce` (with `DPoP-Nonce`). A DPoP refusal spends and revokes nothing.',
    'DPoP-Nonce',
  )
  @ApiOAuthErrorResponse(
    429,
    'Too many refused proofs for this key-bound device in a minute (someone holds its refresh token but not its key), or the key is over its share of the DPoP replay cache: retry after `Retry-After` seconds. Nothing is spent or revoked.',
    'Retry-After',
  )
  @ApiOAuthErrorResponse(503, '`temporarily_unavailable`: the database is unreachable.')
  async refresh(
    @Headers('content-type') contentType: string | undefined,
    @Body() body: unknown,
    @Dpop() dpop: DpopRequest,
    @Origin() origin: RequestOrigin,
  ): Promise<TokenResponse> {
    try {
      const tokens = await this.refreshTokens.refresh(readRefreshRequest(contentType, body), dpop, origin);
      this.metrics.refresh();
      return tokens;
    } catch (error) {
      this.metrics.refresh(error);
      throw error;
    }
  }

  /** RFC 7009 §2.2: 200 whether or not the token was known. */
  @Public()
  @Post('revoke')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'revokeRefreshToken',
    summary: 'Revoke a refresh token (RFC 7009)',
    description:
      "Revokes the token's device. Answers 200 whether or not the token was known. A token of a device bound to a key (DPoP) is revoked only with a valid `DPoP` proof by that key, so a thief holding only the refresh token cannot sign the owner out.",
  })
  @ApiRevokeRequestBody()
  @ApiOkResponse({ description: 'Done (or the token was unknown).', schema: { type: 'object', additionalProperties: false } })
  @ApiOAuthErrorResponse(
    400,
    '`invalid_request`: the body is not a revocation request; `invalid_dpop_proof` or `use_dpop_nonce` (with `DPoP-Nonce`): the token belongs to a key-bound device and the proof is missing, wrong or needs a nonce (nothing is revoked).',
  )
  @ApiOAuthErrorResponse(
    429,
    'Too many refused proofs for this key-bound device in a minute, or the key is over its share of the DPoP replay cache: retry after `Retry-After` seconds. Nothing is revoked.',
    'Retry-After',
  )
  @ApiOAuthErrorResponse(503, '`temporarily_unavailable`: the database is unreachable.')
  async revoke(
    @Headers('content-type') contentType: string | undefined,
    @Body() body: unknown,
    @Dpop() dpop: DpopRequest,
    @Origin() origin: RequestOrigin,
  ): Promise<Record<string, never>> {
    await this.refreshTokens.revokeByToken(readRevokeRequest(contentType, body), origin, dpop);
    return {};
  }
}
