import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY } from '@app/platform';
import type { AccessPrincipal } from '../tokens/access-principal.js';
import { AccessTokenVerifier } from './access-token.verifier.js';

interface GuardedRequest {
  headers: { authorization?: string };
  user?: AccessPrincipal;
}

/**
 * The global guard: every route needs a valid access token unless marked @Public().
 * Failures become InvalidAccessToken (401 with `WWW-Authenticate: Bearer error="invalid_token"`).
 *
 * Not passport's AuthGuard('jwt'): it calls AccessTokenVerifier directly. Measured with
 * `npm run bench` (BENCHMARKS.md, "Guard cost"), passport's per-request machinery (a strategy
 * object, callbacks and a promise per request) cost ~13 µs for nothing the guard needs.
 * JwtStrategy stays for routes that opt into AuthGuard('jwt'), with the same checks.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: AccessTokenVerifier,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<GuardedRequest>();
    request.user = this.verifier.verifyAuthorization(request.headers.authorization);
    return true;
  }
}
