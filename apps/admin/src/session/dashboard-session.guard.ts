import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccessTokenVerifier, RefreshTokenRejected, RefreshTokenService, type AccessPrincipal } from '@app/auth';
import { DeviceRepository, UserRepository } from '@app/persistence';
import { DomainError, IS_PUBLIC_KEY } from '@app/platform';
import { CsrfRefused, CsrfTokens, type CsrfRequest } from './csrf.js';
import { DashboardCookies } from './session-cookies.js';
import { SignInRequired } from './sign-in-required.error.js';
import type { Viewer, ViewerRequest } from './viewer.js';

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * Every dashboard page needs a session unless @Public(). The access-token cookie is verified
 * like a bearer token; when it has expired, the refresh cookie is rotated (reuse detection
 * applies). The device is then looked up, so a dashboard device revoked anywhere is signed
 * out on its very next request (the dashboard can afford one query per page).
 *
 * Every request that is not GET or HEAD must carry the CSRF token of this browser's session
 * (CsrfTokens), checked here before any handler runs: 403 and nothing changes otherwise.
 */
@Injectable()
export class DashboardSessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly cookies: DashboardCookies,
    private readonly csrf: CsrfTokens,
    private readonly verifier: AccessTokenVerifier,
    private readonly refreshTokens: RefreshTokenService,
    private readonly devices: DeviceRepository,
    private readonly users: UserRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & ViewerRequest & CsrfRequest>();
    const reply = http.getResponse<FastifyReply>();
    const changesState = !SAFE_METHODS.has(request.method);

    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()])) {
      // Signed out (the sign-in form): tokens bound to the pre-session cookie.
      if (changesState) this.csrf.requireForPreSession(request);
      let token: string | undefined;
      request.csrfToken = () => (token ??= this.csrf.forPreSession(request, reply));
      return true;
    }

    const viewer = await this.resume(request, reply);
    if (!viewer) {
      this.cookies.clearSession(reply);
      // A form posted without a session cannot carry a valid token: refused like any other.
      if (changesState) throw new CsrfRefused();
      throw new SignInRequired();
    }
    if (changesState) this.csrf.requireForSession(request, viewer.deviceId);
    request.viewer = viewer;
    request.csrfToken = () => this.csrf.forSession(viewer.deviceId);
    return true;
  }

  private async resume(request: FastifyRequest, reply: FastifyReply): Promise<Viewer | null> {
    const principal = this.verify(this.cookies.accessToken(request)) ?? (await this.refresh(this.cookies.refreshToken(request), reply));
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
      this.cookies.setSession(reply, tokens);
      return this.verify(tokens.access_token);
    } catch (error) {
      if (error instanceof RefreshTokenRejected) return null;
      throw error;
    }
  }
}
