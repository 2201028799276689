import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Jwt, JwtPayload } from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '@app/platform';
import { InvalidAccessToken } from '../auth.errors.js';
import { LastSeenRecorder } from '../revocation/last-seen.recorder.js';
import { RevocationSet } from '../revocation/revocation-set.js';
import type { AccessPrincipal } from '../tokens/access-principal.js';
import { ACCESS_TOKEN_TYPE } from '../tokens/access-token.service.js';

/** Tokens signed by a clock a little ahead of ours are tolerated, no more. */
const CLOCK_TOLERANCE_S = 5;

/**
 * Verifies access tokens from memory: signature with the pinned algorithm and key, `iss`,
 * `aud`, `exp` (required), then `typ`, `kid` and the claims, then the revocation set.
 * No database query on this path.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly config: AppConfig,
    private readonly revocations: RevocationSet,
    private readonly lastSeen: LastSeenRecorder,
  ) {
    super({
      // Only the Authorization header: tokens in query strings end up in logs.
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject: given a string, jsonwebtoken tries to parse a PEM key on every verify.
      secretOrKey: config.jwt.key as unknown as Buffer,
      // passport-jwt overwrites these four inside jsonWebTokenOptions, so they go here.
      algorithms: [config.jwt.algorithm],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ignoreExpiration: false,
      // complete: the header is needed for typ and kid; maxAge also requires `iat`.
      jsonWebTokenOptions: { complete: true, maxAge: config.accessTokenTtl + CLOCK_TOLERANCE_S, clockTolerance: CLOCK_TOLERANCE_S },
    });
  }

  validate(decoded: Jwt): AccessPrincipal {
    const { header } = decoded;
    const payload = decoded.payload as JwtPayload;
    const nowS = Date.now() / 1000;
    if (
      header.typ !== ACCESS_TOKEN_TYPE ||
      header.kid !== this.config.jwt.id ||
      typeof payload.sub !== 'string' ||
      typeof payload.sid !== 'string' ||
      typeof payload.jti !== 'string' ||
      typeof payload.exp !== 'number' ||
      typeof payload.iat !== 'number' ||
      payload.iat > nowS + CLOCK_TOLERANCE_S
    ) {
      throw new InvalidAccessToken(false);
    }
    if (this.revocations.has(payload.sid)) throw new InvalidAccessToken(false);
    this.lastSeen.note(payload.sid);
    return { userId: payload.sub, deviceId: payload.sid, expiresAt: payload.exp * 1000 };
  }
}
