import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Jwt } from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '@app/platform';
import type { AccessPrincipal } from '../tokens/access-principal.js';
import { AccessTokenVerifier, accessTokenVerifyOptions } from '../tokens/access-token.verifier.js';

/**
 * Access tokens as a passport strategy ('jwt'), for a route that opts into
 * `AuthGuard('jwt')`: the same pinned options and the same checks as AccessTokenVerifier.
 * The global JwtAuthGuard does not go through passport (see there for why).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: AppConfig,
    private readonly verifier: AccessTokenVerifier,
  ) {
    // passport-jwt overwrites these four inside jsonWebTokenOptions, so they go at the top level.
    const { algorithms, issuer, audience, ignoreExpiration, ...jsonWebTokenOptions } = accessTokenVerifyOptions(config);
    super({
      // Only the Authorization header: tokens in query strings end up in logs.
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject: given a string, jsonwebtoken tries to parse a PEM key on every verify.
      secretOrKey: config.jwt.verificationKey as unknown as Buffer,
      algorithms,
      issuer,
      audience,
      ignoreExpiration,
      jsonWebTokenOptions,
    });
  }

  validate(decoded: Jwt): AccessPrincipal {
    return this.verifier.accept(decoded);
  }
}
