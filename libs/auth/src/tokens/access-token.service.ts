import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { AppConfig, Clock } from '@app/platform';
import { KeyRing } from '@app/keys';
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
    private readonly keys: KeyRing,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /**
   * An access token for the device's session: `aud` names the app the device signed in through
   * (the API's or the dashboard's, never interchangeable), and a bound device's key is carried
   * as `cnf.jkt` (RFC 9449 §6.1).
   */
  async issue(device: Pick<DeviceEntity, 'userId' | 'id' | 'jkt' | 'client' | 'authTime' | 'amr'>): Promise<IssuedAccessToken> {
    const { issuer } = this.config.jwt;
    const { userId, id: deviceId, jkt } = device;
    const audience = audienceOf(this.config, device.client);
    // iat and exp come from the injectable clock, not from the library's own Date.now().
    const now = this.clock.now();
    const iat = Math.floor(now / 1000);
    const expiresIn = this.config.accessTokenTtl;
    // The key that signs at this moment (managed keys rotate by time; API.md § Signing keys).
    const { kid, algorithm, privateKey } = this.keys.signingKey(now);
    const token = await new SignJWT({
      iss: issuer,
      aud: audience,
      sub: userId,
      sid: deviceId,
      jti: randomUUID(),
      iat,
      exp: iat + expiresIn,
      // RFC 9470: when and how the user last actively authenticated on this device (a refresh never moves it).
      auth_time: Math.floor(device.authTime / 1000),
      amr: device.amr.split(','),
      ...(jkt ? { cnf: { jkt } } : {}),
    })
      .setProtectedHeader({ alg: algorithm, typ: ACCESS_TOKEN_TYPE, kid })
      .sign(privateKey);
    return { token, expiresIn };
  }
}

/** The `aud` of access tokens for sessions signed in through `client`. */
export function audienceOf(config: AppConfig, client: SessionClient): string {
  return client === 'dashboard' ? config.jwt.dashboardAudience : config.jwt.audience;
}
