import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppConfig, deriveSecret, DomainError } from '@app/platform';
import { DashboardCookies, newPreSessionId } from './session-cookies.js';

/** A state-changing request without the CSRF token of this browser's session: 403, nothing changes. */
export class CsrfRefused extends DomainError {
  readonly category = 'forbidden';
  readonly code = 'csrf-refused';
  constructor() {
    super('The form expired or did not come from this site. Go back, reload the page and try again.');
  }
}

/** Set by DashboardSessionGuard on every request it lets through: the token this request's forms carry. */
export interface CsrfRequest {
  csrfToken?: () => string;
}

const PRE_SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * CSRF tokens bound to the session, with no state of their own (no secret cookie to plant):
 * token = HMAC-SHA256(server key, session), where the session is
 * - signed in: the dashboard's own device id (from the verified session cookies), so a token
 *   is good for exactly one sign-in and dies with it; a new sign-in is a new device;
 * - signed out (the sign-in form): a random pre-session id in an HttpOnly cookie, cleared at
 *   sign-in and replaced at sign-out.
 * A token minted for any other session, or for the pre-session once signed in, does not match.
 * The server key is derived (HKDF) from the access-token signing key, so every dashboard
 * process and restart agrees on it without another secret to configure.
 */
@Injectable()
export class CsrfTokens {
  private readonly key: Buffer;

  constructor(
    config: AppConfig,
    private readonly cookies: DashboardCookies,
  ) {
    this.key = deriveSecret(config.signingKeys.derivationRoot, 'dashboard csrf token v1');
  }

  forSession(deviceId: string): string {
    return this.mac('session', deviceId);
  }

  /** The sign-in form's token; creates the pre-session cookie when the browser has none. */
  forPreSession(request: FastifyRequest, reply: FastifyReply): string {
    let id = this.cookies.preSession(request);
    if (id === undefined || !PRE_SESSION_ID.test(id)) {
      id = newPreSessionId();
      this.cookies.setPreSession(reply, id);
    }
    return this.mac('pre-session', id);
  }

  /** Refuses (CsrfRefused) unless the form's `_csrf` is the token of the signed-in session's device. */
  requireForSession(request: FastifyRequest, deviceId: string): void {
    if (!CsrfTokens.matches(this.forSession(deviceId), presentedToken(request))) throw new CsrfRefused();
  }

  /** Refuses unless the form's `_csrf` is the token of this browser's pre-session cookie. */
  requireForPreSession(request: FastifyRequest): void {
    const id = this.cookies.preSession(request);
    if (id === undefined || !PRE_SESSION_ID.test(id) || !CsrfTokens.matches(this.mac('pre-session', id), presentedToken(request)))
      throw new CsrfRefused();
  }

  private mac(kind: 'session' | 'pre-session', id: string): string {
    return createHmac('sha256', this.key).update(`${kind}\0${id}`).digest('base64url');
  }

  private static matches(expected: string, presented: unknown): boolean {
    if (typeof presented !== 'string') return false;
    const left = Buffer.from(expected);
    const right = Buffer.from(presented);
    return left.length === right.length && timingSafeEqual(left, right);
  }
}

function presentedToken(request: FastifyRequest): unknown {
  const body = request.body;
  return typeof body === 'object' && body !== null ? (body as { _csrf?: unknown })._csrf : undefined;
}
