import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ACCESS_TOKEN_TYPE, type TokenResponse } from '@app/auth';
import type { AppConfig } from '@app/platform';

/** The few API calls the harness makes outside the measured runs (plain fetch). */
export class ApiClient {
  constructor(private readonly baseUrl: string) {}

  private async post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'device-auth-bench', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  }

  async register(email: string, password: string): Promise<void> {
    const response = await this.post('/auth/register', { email, password });
    if (response.status !== 201) throw new Error(`register ${email}: ${response.status} ${await response.text()}`);
  }

  /** Signs in; with `dpop` (a proof for POST /auth/login) the device is bound to its key. */
  async login(email: string, password: string, deviceName: string, dpop?: string): Promise<TokenResponse> {
    const response = await this.post(
      '/auth/login',
      { email, password, device: { name: deviceName, platform: 'android' } },
      dpop ? { DPoP: dpop } : {},
    );
    if (response.status !== 200) throw new Error(`login ${email}: ${response.status} ${await response.text()}`);
    return (await response.json()) as TokenResponse;
  }

  /** The status of a sign-in attempt, whatever it is. */
  async loginStatus(email: string, password: string): Promise<number> {
    const response = await this.post('/auth/login', { email, password, device: { name: 'Bench', platform: 'android' } });
    await response.arrayBuffer();
    return response.status;
  }

  async refresh(refreshToken: string): Promise<number> {
    const response = await this.post('/auth/refresh', { grant_type: 'refresh_token', refresh_token: refreshToken });
    await response.arrayBuffer();
    return response.status;
  }

  async logout(accessToken: string): Promise<number> {
    const response = await this.post('/auth/logout', {}, { authorization: `Bearer ${accessToken}` });
    await response.arrayBuffer();
    return response.status;
  }

  async status(path: string, accessToken?: string, headers: Record<string, string> = {}): Promise<number> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      headers: { ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}), ...headers },
      signal: AbortSignal.timeout(30_000),
    });
    await response.arrayBuffer();
    return response.status;
  }
}

/**
 * An access token signed exactly as AccessTokenService signs one (same key, kid, typ, iss,
 * aud, lifetime), for a device of the harness's choosing: seeded rows never logged in.
 */
export function signAccessToken(config: AppConfig, userId: string, deviceId: string): string {
  const { issuer, audience } = config.jwt;
  const key = config.signingKeys.static;
  if (!key) throw new Error('signAccessToken needs a static key (JWT_SECRET or JWT_PRIVATE_KEY)');
  const { signingKey, id, algorithm } = key;
  const iat = Math.floor(Date.now() / 1000);
  return jwt.sign({ sub: userId, sid: deviceId, jti: randomUUID(), iat, exp: iat + config.accessTokenTtl }, signingKey, {
    algorithm,
    issuer,
    audience,
    header: { alg: algorithm, typ: ACCESS_TOKEN_TYPE, kid: id },
  });
}
