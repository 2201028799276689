import { Body, Controller, Header, Headers, HttpCode, Post, UseFilters, UseInterceptors } from '@nestjs/common';
import { OAuthErrorFilter, Public } from '@app/platform';
import type { RequestOrigin } from '../actor/actor.js';
import { Origin } from '../actor/request-origin.decorator.js';
import { Dpop, type DpopRequest } from '../dpop/dpop-request.js';
import { readRefreshRequest, readRevokeRequest } from '../dto/token-requests.js';
import { DeviceLogInterceptor } from '../logging/device-log.interceptor.js';
import { AuthMetrics } from '../metrics/auth-metrics.js';
import { RefreshTokenService } from '../tokens/refresh-token.service.js';
import type { TokenResponse } from '../tokens/token-response.js';

/** The OAuth-shaped endpoints: errors here are RFC 6749 §5.2, not problem+json. */
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
  async revoke(
    @Headers('content-type') contentType: string | undefined,
    @Body() body: unknown,
    @Origin() origin: RequestOrigin,
  ): Promise<Record<string, never>> {
    await this.refreshTokens.revokeByToken(readRevokeRequest(contentType, body), origin);
    return {};
  }
}
