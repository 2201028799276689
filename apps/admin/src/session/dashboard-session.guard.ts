import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccessTokenVerifier, AuthService, RefreshTokenRejected, RefreshTokenService, type AccessPrincipal } from '@app/auth';
import { DomainError, IS_PUBLIC_KEY, originOf, type ActorRequest } from '@app/platform';
import { CsrfRefused } from './csrf.js';
import { DashboardCookies } from './session-cookies.js';
import { SignInRequired } from './sign-in-required.error.js';
import type { ViewerRequest } from './viewer.js';

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * Every dashboard page needs a session unless @Public(): this guard resolves who acts, once
 * per request. The access-token cookie is verified through passport (AccessTokenStrategy, the
 * same checks as the API's bearer tokens, but only tokens issued to a dashboard session pass: an
 * API access token, bound or not, in the cookie is refused); when it has expired or is missing,
 * the refresh cookie is rotated (reuse detection applies; an API device's refresh token is
 * unknown here). The session's device must still be
 * active, so a dashboard device revoked anywhere is signed out on its very next request (the
 * dashboard can afford one query per page), and the account's stored role is read then, so a
 * withdrawn operator role takes effect at once. The result is `request.actor` (for services)
 * and `request.viewer` (for templates). CSRF is CsrfGuard's, which runs next.
 */
@Injectable()
export class DashboardSessionGuard extends AuthGuard('access-token') implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly cookies: DashboardCookies,
    private readonly verifier: AccessTokenVerifier,
    private readonly refreshTokens: RefreshTokenService,
    private readonly auth: AuthService,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()])) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & ViewerRequest & ActorRequest & { user?: AccessPrincipal | null }>();
    const reply = http.getResponse<FastifyReply>();
    await super.canActivate(context);
    const principal = request.user ?? (await this.refresh(request, reply));
    const account = principal ? await this.auth.activeAccount(principal.userId, principal.deviceId) : null;
    if (!principal || !account) {
      this.cookies.clearSession(reply);
      // A form posted without a session cannot carry a valid token: refused like any other.
      if (!SAFE_METHODS.has(request.method)) throw new CsrfRefused();
      throw new SignInRequired();
    }
    request.actor = {
      kind: 'account',
      userId: account.userId,
      deviceId: principal.deviceId,
      role: account.role,
      authTime: principal.authTime,
      keyBound: false,
      ...originOf(request),
    };
    request.viewer = {
      userId: account.userId,
      deviceId: principal.deviceId,
      email: account.email,
      isOperator: account.role === 'operator',
    };
    return true;
  }

  /**
   * What passport's verdict on the access cookie becomes: the principal, or null when the
   * cookie is missing, expired, forged or revoked (the refresh cookie may still resume the
   * session). Only a fault that is no verdict at all (an outage) is thrown.
   */
  override handleRequest<T>(error: unknown, principal: T): T | null {
    if (error && !(error instanceof DomainError)) throw error;
    return principal || null;
  }

  private async refresh(request: FastifyRequest, reply: FastifyReply): Promise<AccessPrincipal | null> {
    const refreshToken = this.cookies.refreshToken(request);
    if (!refreshToken) return null;
    try {
      const tokens = await this.refreshTokens.refresh(refreshToken, null, originOf(request), 'dashboard');
      this.cookies.setSession(reply, tokens);
      return await this.verifier.verifyToken(tokens.access_token, 'dashboard');
    } catch (error) {
      if (error instanceof RefreshTokenRejected) return null;
      throw error;
    }
  }
}
