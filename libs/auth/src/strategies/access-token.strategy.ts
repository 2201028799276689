import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy as JwtStrategy, type JwtFromRequestFunction } from 'passport-jwt';
import type { AccessPrincipal } from '../tokens/access-principal.js';
import { AccessTokenVerifier } from '../tokens/access-token.verifier.js';

/** Where the app that registers AccessTokenStrategy keeps its access tokens (the dashboard: a cookie). */
export const ACCESS_TOKEN_EXTRACTOR = Symbol('ACCESS_TOKEN_EXTRACTOR');

type Done = (error: unknown, user?: unknown, info?: unknown) => void;

/**
 * passport-jwt's strategy with its verdict delegated: the token is taken from the request by
 * passport-jwt's extractor, as ever, and handed undecoded to the verify callback, never to
 * jsonwebtoken, so that a token is verified one way everywhere (AccessTokenVerifier, by the
 * core's rules). passport-jwt's own check would be a second, differently written copy of them.
 */
class VerifierJwtStrategy extends JwtStrategy {
  private readonly extract: JwtFromRequestFunction;
  private readonly delegate: (token: string, done: Done) => void;

  constructor(options: { jwtFromRequest: JwtFromRequestFunction }, verify: (token: string, done: Done) => void) {
    // passport-jwt insists on a key source; it is never asked, as authenticate is this class's.
    super({ jwtFromRequest: options.jwtFromRequest, secretOrKeyProvider: (_request, _token, done) => done(new Error('unused')) }, () => {
      throw new Error('unused');
    });
    this.extract = options.jwtFromRequest;
    this.delegate = verify;
  }

  override authenticate(request: Request): void {
    const token = this.extract(request);
    if (!token) return this.fail(new Error('No auth token'), 401);
    this.delegate(token, (error, user, info) => {
      if (error) this.error(error as Error);
      else if (!user) this.fail(info, 401);
      else this.success(user, info);
    });
  }
}

/**
 * The dashboard's session tokens as a passport strategy ('access-token', for
 * `AuthGuard('access-token')`): the dashboard's session guard verifies its access cookie through
 * it. A thin adapter: the token's verdict is AccessTokenVerifier's (the same rules as the API's
 * tokens, by the injectable clock), held to the dashboard's audience, so only tokens issued to a
 * dashboard session pass: an API access token, bound or bearer, put in the cookie is refused like
 * a forged one (API.md § Tokens).
 *
 * The API's global guard calls AccessTokenVerifier directly: measured with `npm run bench`,
 * passport's per-request machinery cost ~13 µs on the hottest path for nothing it needs.
 */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(VerifierJwtStrategy, 'access-token') {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    @Inject(ACCESS_TOKEN_EXTRACTOR) jwtFromRequest: JwtFromRequestFunction,
  ) {
    super({ jwtFromRequest });
  }

  validate(token: string): AccessPrincipal | Promise<AccessPrincipal> {
    return this.verifier.verifyToken(token, 'dashboard');
  }
}
