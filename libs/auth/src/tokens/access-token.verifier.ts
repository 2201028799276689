import { Injectable } from '@nestjs/common';
import jwt, { type Algorithm, type Jwt, type JwtPayload } from 'jsonwebtoken';
import { AppConfig, Clock } from '@app/platform';
import type { SessionClient } from '@app/persistence';
import { InvalidAccessToken } from '../auth.errors.js';
import type { DpopRequest } from '../dpop/dpop-request.js';
import { DpopAccessRefused, DpopNonceRequired, DpopProofInvalid } from '../dpop/dpop.errors.js';
import { DpopService } from '../dpop/dpop.service.js';
import { DpopMetrics } from '../dpop/dpop-metrics.js';
import { LastSeenRecorder } from '../revocation/last-seen.recorder.js';
import { RevocationSet } from '../revocation/revocation-set.js';
import type { AccessPrincipal } from './access-principal.js';
import { ACCESS_TOKEN_TYPE, audienceOf } from './access-token.service.js';
import { CLOCK_TOLERANCE_S } from '../clock-tolerance.js';
import { VerifiedTokenCache, type VerifiedClaims } from './verified-token-cache.js';

/** `Authorization: Bearer <token>` (RFC 6750 §2.1; the scheme is case-insensitive). */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
/** `Authorization: DPoP <token>` (RFC 9449 §7.1; the scheme is case-insensitive too). */
const DPOP = /^DPoP +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The pinned jsonwebtoken options for access tokens (AccessTokenVerifier and AccessTokenStrategy share
 * them): the algorithm, issuer and audience, `exp` enforced, and `complete` for the header
 * (typ, kid); maxAge also requires `iat`.
 */
export interface AccessTokenVerifyOptions {
  readonly algorithms: Algorithm[];
  readonly issuer: string;
  readonly audience: string | [string, string];
  readonly ignoreExpiration: false;
  readonly complete: true;
  readonly maxAge: number;
  readonly clockTolerance: number;
}

export function accessTokenVerifyOptions(config: AppConfig, client?: SessionClient): AccessTokenVerifyOptions {
  return {
    algorithms: [config.jwt.algorithm],
    issuer: config.jwt.issuer,
    // One app's audience, or (for the shared cache) either; AccessTokenVerifier then holds each
    // token to the audience of the app that asks.
    audience: client ? audienceOf(config, client) : [config.jwt.audience, config.jwt.dashboardAudience],
    ignoreExpiration: false,
    complete: true,
    maxAge: config.accessTokenTtl + CLOCK_TOLERANCE_S,
    clockTolerance: CLOCK_TOLERANCE_S,
  };
}

/**
 * Verifies access tokens from memory: signature with the pinned algorithm and key, `iss`,
 * `aud`, `exp` (required), then `typ`, `kid` and the claims, then the revocation set, and
 * notes the device's activity. No database query on this path. Every failure is an
 * InvalidAccessToken; only "expired" is told apart.
 *
 * Each token is held to the audience of the app that asks (API.md § Tokens): the API accepts
 * only API session tokens, the dashboard only its own sessions' (`verifyToken`/`accept` with
 * 'dashboard'), so a stolen API token, bound or bearer, never opens a dashboard session.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly options: AccessTokenVerifyOptions;
  private readonly verified = new VerifiedTokenCache();

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly revocations: RevocationSet,
    private readonly lastSeen: LastSeenRecorder,
    private readonly dpop: DpopService,
    private readonly metrics: DpopMetrics,
  ) {
    this.options = accessTokenVerifyOptions(config);
  }

  /**
   * The principal of a request's `Authorization` header: `Bearer <token>` for a bearer device's
   * token, `DPoP <token>` with a proof for a key-bound one (API.md § Device-bound tokens). A bound
   * token presented as Bearer is refused: without the key, a stolen one is useless. Bearer stays
   * synchronous (the hot path); only a DPoP request awaits its proof's signature check.
   */
  verifyAuthorization(authorization: string | undefined, dpop?: () => DpopRequest): AccessPrincipal | Promise<AccessPrincipal> {
    const bearer = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    if (bearer !== undefined) {
      const principal = this.verifyToken(bearer, 'api');
      if (principal.jkt !== null) {
        this.metrics.boundTokenWithoutKey();
        throw new InvalidAccessToken(false);
      }
      return principal;
    }
    const bound = authorization === undefined ? undefined : DPOP.exec(authorization)?.[1];
    if (bound !== undefined && dpop) return this.verifyBound(bound, dpop());
    throw new InvalidAccessToken(false);
  }

  /** RFC 9449 §7.1: the token, then a proof by its key for this request, with `ath` of this token. */
  private async verifyBound(token: string, request: DpopRequest): Promise<AccessPrincipal> {
    let principal: AccessPrincipal;
    try {
      principal = this.verifyToken(token, 'api');
    } catch (error) {
      if (error instanceof InvalidAccessToken) throw new DpopAccessRefused('invalid_token', error.detail);
      throw error;
    }
    if (principal.jkt === null) throw new DpopAccessRefused('invalid_token', 'The access token is invalid.');
    let jkt: string;
    try {
      jkt = await this.dpop.verify(request, token);
    } catch (error) {
      if (error instanceof DpopNonceRequired) throw new DpopAccessRefused('use_dpop_nonce', error.detail, error.headers);
      if (error instanceof DpopProofInvalid) throw new DpopAccessRefused('invalid_dpop_proof', error.detail, error.headers);
      throw error;
    }
    if (jkt !== principal.jkt) {
      this.metrics.boundTokenWithoutKey();
      throw new DpopAccessRefused('invalid_token', 'The DPoP proof was made with another key than the token is bound to.');
    }
    return principal;
  }

  /** The principal of an access token given on its own (the dashboard keeps it in a cookie), issued to `client`'s sessions. */
  verifyToken(token: string, client: SessionClient): AccessPrincipal {
    const nowS = this.clock.now() / 1000;
    let claims = this.verified.get(token, nowS);
    if (claims === undefined) {
      let decoded: Jwt;
      try {
        // jsonwebtoken with the pinned options; the key is a KeyObject (given a string, it
        // would parse the key on every call). `exp` and the maximum age are judged by the
        // injectable clock, like everything else. A token that passes is cached (see
        // VerifiedTokenCache), so each token string is verified once per process.
        decoded = jwt.verify(token, this.config.jwt.verificationKey, { ...this.options, clockTimestamp: Math.floor(nowS) });
      } catch (error) {
        throw new InvalidAccessToken((error as Error).name === 'TokenExpiredError');
      }
      claims = this.checkClaims(decoded);
      this.verified.add(token, claims);
    }
    return this.admit(claims, client, nowS);
  }

  /**
   * For a token whose signature, algorithm, issuer and audience passport-jwt verified
   * (AccessTokenStrategy, the dashboard's): the same claim checks and admission.
   */
  accept(decoded: Jwt, client: SessionClient): AccessPrincipal {
    return this.admit(this.checkClaims(decoded), client, this.clock.now() / 1000);
  }

  /** What does not change for a given token: `typ`, `kid` and the claims' presence and types. */
  private checkClaims(decoded: Jwt): VerifiedClaims {
    const { header } = decoded;
    const payload = decoded.payload as JwtPayload;
    const cnf = payload.cnf as { jkt?: unknown } | undefined;
    if (
      header.typ !== ACCESS_TOKEN_TYPE ||
      header.kid !== this.config.jwt.id ||
      typeof payload.sub !== 'string' ||
      typeof payload.sid !== 'string' ||
      typeof payload.jti !== 'string' ||
      typeof payload.exp !== 'number' ||
      typeof payload.iat !== 'number' ||
      (payload.aud !== this.config.jwt.audience && payload.aud !== this.config.jwt.dashboardAudience) ||
      (cnf !== undefined && (typeof cnf !== 'object' || cnf === null || typeof cnf.jkt !== 'string'))
    ) {
      throw new InvalidAccessToken(false);
    }
    return {
      userId: payload.sub,
      deviceId: payload.sid,
      issuedAt: payload.iat,
      expiresAt: payload.exp,
      jkt: cnf ? (cnf.jkt as string) : null,
      // A token without a numeric auth_time (issued before it existed) is never a recent authentication.
      authTime: typeof payload.auth_time === 'number' && Number.isFinite(payload.auth_time) ? payload.auth_time * 1000 : 0,
      client: payload.aud === this.config.jwt.dashboardAudience ? 'dashboard' : 'api',
    };
  }

  /**
   * What is judged on every request: `iat` not in the future, expiry and maximum age by the
   * injectable clock, and the revocation set; then the device's activity is noted.
   */
  private admit(claims: VerifiedClaims, client: SessionClient, nowS: number): AccessPrincipal {
    if (claims.client !== client) throw new InvalidAccessToken(false);
    if (claims.issuedAt > nowS + CLOCK_TOLERANCE_S) throw new InvalidAccessToken(false);
    if (nowS >= claims.expiresAt + CLOCK_TOLERANCE_S || nowS >= claims.issuedAt + this.options.maxAge + CLOCK_TOLERANCE_S)
      throw new InvalidAccessToken(true);
    if (this.revocations.has(claims.deviceId)) throw new InvalidAccessToken(false);
    this.lastSeen.note(claims.deviceId);
    return {
      userId: claims.userId,
      deviceId: claims.deviceId,
      expiresAt: claims.expiresAt * 1000,
      jkt: claims.jkt,
      authTime: claims.authTime,
    };
  }
}
