import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CsrfTokens, type CsrfRequest } from './csrf.js';
import type { ViewerRequest } from './viewer.js';

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * Runs after DashboardSessionGuard on every route: a request that is not GET or HEAD must
 * carry the CSRF token of this browser's session — of its dashboard device when signed in, of
 * its pre-session cookie on the sign-in form — or it is refused (CsrfRefused, 403) before any
 * handler runs. Also gives the request the token its forms carry (`request.csrfToken()`).
 */
@Injectable()
export class CsrfGuard implements CanActivate {
  constructor(private readonly csrf: CsrfTokens) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & ViewerRequest & CsrfRequest>();
    const reply = http.getResponse<FastifyReply>();
    const changesState = !SAFE_METHODS.has(request.method);
    const viewer = request.viewer;
    if (viewer) {
      if (changesState) this.csrf.requireForSession(request, viewer.deviceId);
      request.csrfToken = () => this.csrf.forSession(viewer.deviceId);
    } else {
      if (changesState) this.csrf.requireForPreSession(request);
      let token: string | undefined;
      request.csrfToken = () => (token ??= this.csrf.forPreSession(request, reply));
    }
    return true;
  }
}
