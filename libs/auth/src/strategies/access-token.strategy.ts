import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Jwt } from 'jsonwebtoken';
import { Strategy, type JwtFromRequestFunction } from 'passport-jwt';
import { AppConfig } from '@app/platform';
import type { AccessPrincipal } from '../tokens/access-principal.js';
import { accessTokenVerifyOptions, AccessTokenVerifier } from '../tokens/access-token.verifier.js';

/** Where the app that registers AccessTokenStrategy keeps its access tokens (the dashboard: a cookie). */
export const ACCESS_TOKEN_EXTRACTOR = Symbol('ACCESS_TOKEN_EXTRACTOR');

/**
 * The dashboard's session tokens as a passport strategy ('access-token', for
 * `AuthGuard('access-token')`): the dashboard's session guard verifies its access cookie through
 * it. Only tokens issued to a dashboard session pass (their own `aud`): an API access token, bound
 * or bearer, put in the cookie is refused like a forged one (API.md § Tokens). passport-jwt checks the
 * signature with the pinned algorithm, issuer and audience; expiry, maximum age, `typ`, `kid`,
 * the claims and the revocation set are AccessTokenVerifier.accept's, judged by the injectable
 * clock (passport-jwt would use the system's, so it is told to leave expiry alone).
 *
 * The API's global guard calls AccessTokenVerifier directly: measured with `npm run bench`,
 * passport's per-request machinery cost ~13 µs on the hottest path for nothing it needs.
 */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(Strategy, 'access-token') {
  constructor(
    config: AppConfig,
    private readonly verifier: AccessTokenVerifier,
    @Inject(ACCESS_TOKEN_EXTRACTOR) jwtFromRequest: JwtFromRequestFunction,
  ) {
    // passport-jwt overwrites these inside jsonWebTokenOptions, so they go at the top level.
    const { algorithms, issuer, audience, complete } = accessTokenVerifyOptions(config, 'dashboard');
    super({
      jwtFromRequest,
      // A KeyObject: given a string, jsonwebtoken tries to parse a PEM key on every verify.
      secretOrKey: config.jwt.verificationKey as unknown as Buffer,
      algorithms,
      issuer,
      audience,
      ignoreExpiration: true,
      jsonWebTokenOptions: { complete },
    });
  }

  validate(decoded: Jwt): AccessPrincipal {
    return this.verifier.accept(decoded, 'dashboard');
  }
}
