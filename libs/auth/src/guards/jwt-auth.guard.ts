import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY, type ActorRequest, originOf } from '@app/platform';
import { dpopRequestOf } from '../dpop/dpop-request.js';
import type { AccessPrincipal } from '../tokens/access-principal.js';
import { AccessTokenVerifier } from '../tokens/access-token.verifier.js';

interface GuardedRequest extends ActorRequest {
  ip?: string;
  method: string;
  url: string;
  protocol?: string;
  host?: string;
  headers: { authorization?: string; 'user-agent'?: string; dpop?: string };
  user?: AccessPrincipal;
}

/**
 * The global guard: every route needs a valid access token unless marked @Public().
 * Failures become InvalidAccessToken (401 with `WWW-Authenticate: Bearer error="invalid_token"`).
 *
 * Not passport's AuthGuard('jwt'): it calls AccessTokenVerifier directly. Measured with
 * `npm run bench` (BENCHMARKS.md, "Guard cost"), passport's per-request machinery (a strategy
 * object, callbacks and a promise per request) cost ~13 µs for nothing the guard needs.
 * AccessTokenStrategy (the dashboard's) makes the same checks through passport.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: AccessTokenVerifier,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    // The HTTP request, as switchToHttp().getRequest() without the three closures it makes per call.
    const request = context.getArgByIndex<GuardedRequest>(0);
    const verified = this.verifier.verifyAuthorization(request.headers.authorization, () => dpopRequestOf(request));
    // Bearer tokens are verified synchronously; a DPoP request awaits its proof's signature check.
    return verified instanceof Promise ? verified.then((principal) => this.admit(request, principal)) : this.admit(request, verified);
  }

  private admit(request: GuardedRequest, principal: AccessPrincipal): true {
    request.user = principal;
    // The API's actor: the token's account and device. Access tokens carry no role, and the
    // API has no operator capability, so it is always `user` here.
    request.actor = {
      kind: 'account',
      userId: principal.userId,
      deviceId: principal.deviceId,
      role: 'user',
      authTime: principal.authTime,
      keyBound: principal.jkt !== null,
      ...originOf(request),
    };
    return true;
  }
}
