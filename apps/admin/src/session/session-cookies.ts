import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { TokenResponse } from '@app/auth';
import { AppConfig } from '@app/platform';

/** How long a sign-in form stays usable: the pre-session cookie its CSRF token is bound to. */
const PRE_SESSION_MAX_AGE_SECONDS = 2 * 3600;

/** A new random pre-session id (256 bits, base64url: 43 characters). */
export function newPreSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The dashboard's cookies. The browser holds its tokens only in HttpOnly cookies: script cannot
 * read them, and SameSite=Strict keeps other sites from sending them along.
 *
 * With COOKIE_SECURE they are named `__Host-…`: the browser then accepts them only with
 * `Secure`, `Path=/` and no `Domain`, so no other host (a sibling subdomain, a plain-http
 * page) can set or shadow them. Without it (plain http in development) the names are plain:
 * browsers refuse the prefix on a cookie that is not `Secure`.
 */
@Injectable()
export class DashboardCookies {
  readonly secure: boolean;
  readonly names: { readonly access: string; readonly refresh: string; readonly preSession: string };

  constructor(config: AppConfig) {
    this.secure = config.cookieSecure;
    const name = (base: string) => (this.secure ? `__Host-${base}` : base);
    this.names = { access: name('dashboard_access'), refresh: name('dashboard_refresh'), preSession: name('dashboard_presession') };
  }

  accessToken(request: FastifyRequest): string | undefined {
    return request.cookies[this.names.access];
  }

  refreshToken(request: FastifyRequest): string | undefined {
    return request.cookies[this.names.refresh];
  }

  /** The random id a signed-out browser's CSRF tokens are bound to (see CsrfTokens). */
  preSession(request: FastifyRequest): string | undefined {
    return request.cookies[this.names.preSession];
  }

  /** Signed in: the session's tokens; CSRF tokens are bound to its device from now on, so the pre-session is over. */
  startSession(reply: FastifyReply, tokens: TokenResponse): void {
    this.setSession(reply, tokens);
    this.clearPreSession(reply);
  }

  /** Signed out: no session, and a fresh pre-session (nothing minted before or during the session is good any more). */
  endSession(reply: FastifyReply): void {
    this.clearSession(reply);
    this.setPreSession(reply, newPreSessionId());
  }

  setSession(reply: FastifyReply, tokens: TokenResponse): void {
    void reply.setCookie(this.names.access, tokens.access_token, this.options(tokens.expires_in));
    void reply.setCookie(this.names.refresh, tokens.refresh_token, this.options(tokens.refresh_token_expires_in));
  }

  clearSession(reply: FastifyReply): void {
    void reply.clearCookie(this.names.access, this.options());
    void reply.clearCookie(this.names.refresh, this.options());
  }

  setPreSession(reply: FastifyReply, id: string): void {
    void reply.setCookie(this.names.preSession, id, this.options(PRE_SESSION_MAX_AGE_SECONDS));
  }

  clearPreSession(reply: FastifyReply): void {
    void reply.clearCookie(this.names.preSession, this.options());
  }

  private options(maxAgeSeconds?: number) {
    return {
      httpOnly: true,
      sameSite: 'strict' as const,
      secure: this.secure,
      path: '/',
      ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}),
    };
  }
}
