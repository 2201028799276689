import type { FastifyReply } from 'fastify';
import type { TokenResponse } from '@app/auth';

export const ACCESS_COOKIE = 'dashboard_access';
export const REFRESH_COOKIE = 'dashboard_refresh';

/**
 * The browser holds its tokens only in HttpOnly cookies: script cannot read them, and
 * SameSite=Strict keeps other sites from sending them along.
 */
function options(secure: boolean, maxAgeSeconds?: number) {
  return { httpOnly: true, sameSite: 'strict' as const, secure, path: '/', ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}) };
}

export function setSessionCookies(reply: FastifyReply, tokens: TokenResponse, secure: boolean): void {
  void reply.setCookie(ACCESS_COOKIE, tokens.access_token, options(secure, tokens.expires_in));
  void reply.setCookie(REFRESH_COOKIE, tokens.refresh_token, options(secure, tokens.refresh_token_expires_in));
}

export function clearSessionCookies(reply: FastifyReply, secure: boolean): void {
  void reply.clearCookie(ACCESS_COOKIE, options(secure));
  void reply.clearCookie(REFRESH_COOKIE, options(secure));
}
