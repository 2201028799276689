import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccessTokenVerifier, RefreshTokenRejected, RefreshTokenService, type AccessPrincipal } from '@app/auth';
import { DeviceRepository, UserRepository } from '@app/persistence';
import { AppConfig, DomainError, IS_PUBLIC_KEY } from '@app/platform';
import { clearSessionCookies, ACCESS_COOKIE, REFRESH_COOKIE, setSessionCookies } from './session-cookies.js';
import { SignInRequired } from './sign-in-required.error.js';
import type { Viewer, ViewerRequest } from './viewer.js';

/**
 * Every dashboard page needs a session unless @Public(). The access-token cookie is verified
 * like a bearer token; when it has expired, the refresh cookie is rotated (reuse detection
 * applies). The device is then looked up, so a dashboard device revoked anywhere is signed
 * out on its very next request (the dashboard can afford one query per page).
 */
@Injectable()
export class DashboardSessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
    private readonly verifier: AccessTokenVerifier,
    private readonly refreshTokens: RefreshTokenService,
    private readonly devices: DeviceRepository,
    private readonly users: UserRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()])) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & ViewerRequest>();
    const reply = http.getResponse<FastifyReply>();
    const viewer = await this.resume(request, reply);
    if (!viewer) {
      clearSessionCookies(reply, this.config.cookieSecure);
      throw new SignInRequired();
    }
    request.viewer = viewer;
    return true;
  }

  private async resume(request: FastifyRequest, reply: FastifyReply): Promise<Viewer | null> {
    const principal = this.verify(request.cookies[ACCESS_COOKIE]) ?? (await this.refresh(request.cookies[REFRESH_COOKIE], reply));
    if (!principal) return null;
    const device = await this.devices.findActive(principal.userId, principal.deviceId);
    const user = device ? await this.users.findById(principal.userId) : null;
    if (!user) return null;
    return { userId: user.id, deviceId: principal.deviceId, email: user.email, isOperator: user.role === 'operator' };
  }

  private verify(token: string | undefined): AccessPrincipal | null {
    if (!token) return null;
    try {
      return this.verifier.verifyToken(token);
    } catch (error) {
      if (error instanceof DomainError) return null;
      throw error;
    }
  }

  private async refresh(refreshToken: string | undefined, reply: FastifyReply): Promise<AccessPrincipal | null> {
    if (!refreshToken) return null;
    try {
      const tokens = await this.refreshTokens.refresh(refreshToken);
      setSessionCookies(reply, tokens, this.config.cookieSecure);
      return this.verify(tokens.access_token);
    } catch (error) {
      if (error instanceof RefreshTokenRejected) return null;
      throw error;
    }
  }
}
