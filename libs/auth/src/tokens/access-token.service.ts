import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { AppConfig, Clock } from '@app/platform';

/** RFC 9068 media type, checked on verify so no other JWT can pass as an access token. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface IssuedAccessToken {
  readonly token: string;
  /** Seconds, for `expires_in`. */
  readonly expiresIn: number;
}

@Injectable()
export class AccessTokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** `jkt`: the device's DPoP key, carried as `cnf.jkt` (RFC 9449 §6.1); null for a bearer device. */
  issue(userId: string, deviceId: string, jkt: string | null = null): IssuedAccessToken {
    const { signingKey, id, algorithm, issuer, audience } = this.config.jwt;
    // iat and exp come from the injectable clock, not from the library's own Date.now().
    const iat = Math.floor(this.clock.now() / 1000);
    const expiresIn = this.config.accessTokenTtl;
    const token = this.jwt.sign(
      { sub: userId, sid: deviceId, jti: randomUUID(), iat, exp: iat + expiresIn, ...(jkt ? { cnf: { jkt } } : {}) },
      { algorithm, privateKey: signingKey, issuer, audience, header: { alg: algorithm, typ: ACCESS_TOKEN_TYPE, kid: id } },
    );
    return { token, expiresIn };
  }
}
