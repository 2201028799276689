import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC_KEY } from '@app/platform';
import { InvalidAccessToken } from '../auth.errors.js';
import type { AccessPrincipal } from '../tokens/access-principal.js';

/**
 * The global guard: every route needs a valid access token unless marked @Public().
 * Failures become InvalidAccessToken (401 with `WWW-Authenticate: Bearer error="invalid_token"`).
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    return isPublic ? true : super.canActivate(context);
  }

  override handleRequest<T = AccessPrincipal>(error: unknown, principal: T | false, info: unknown): T {
    if (error instanceof InvalidAccessToken) throw error;
    if (error || !principal) {
      throw new InvalidAccessToken((info as { name?: string } | undefined)?.name === 'TokenExpiredError');
    }
    return principal;
  }
}
