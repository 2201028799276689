import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { AppConfig, Clock } from '@app/platform';
import type { DeviceEntity, SessionClient } from '@app/persistence';

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

  /**
   * An access token for the device's session: `aud` names the app the device signed in through
   * (the API's or the dashboard's, never interchangeable), and a bound device's key is carried
   * as `cnf.jkt` (RFC 9449 §6.1).
   */
  issue(device: Pick<DeviceEntity, 'userId' | 'id' | 'jkt' | 'client' | 'authTime' | 'amr'>): IssuedAccessToken {
    const { signingKey, id, algorithm, issuer } = this.config.jwt;
    const { userId, id: deviceId, jkt } = device;
    const audience = audienceOf(this.config, device.client);
    // iat and exp come from the injectable clock, not from the library's own Date.now().
    const iat = Math.floor(this.clock.now() / 1000);
    const expiresIn = this.config.accessTokenTtl;
    const token = this.jwt.sign(
      {
        sub: userId,
        sid: deviceId,
        jti: randomUUID(),
        iat,
        exp: iat + expiresIn,
        // RFC 9470: when and how the user last actively authenticated on this device (a refresh never moves it).
        auth_time: Math.floor(device.authTime / 1000),
        amr: device.amr.split(','),
        ...(jkt ? { cnf: { jkt } } : {}),
      },
      { algorithm, privateKey: signingKey, issuer, audience, header: { alg: algorithm, typ: ACCESS_TOKEN_TYPE, kid: id } },
    );
    return { token, expiresIn };
  }
}

/** The `aud` of access tokens for sessions signed in through `client`. */
export function audienceOf(config: AppConfig, client: SessionClient): string {
  return client === 'dashboard' ? config.jwt.dashboardAudience : config.jwt.audience;
}
