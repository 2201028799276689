import { Injectable } from '@nestjs/common';
import {
  AccessTokenChecker,
  checkBinding,
  parseAuthorization,
  VerificationError,
  type AccessTokenClaims,
} from '@device-auth/verifier/core';
import { AppConfig, Clock } from '@app/platform';
import { KeyRing } from '@app/keys';
import type { SessionClient } from '@app/persistence';
import { InvalidAccessToken } from '../auth.errors.js';
import type { DpopRequest } from '../dpop/dpop-request.js';
import { DpopAccessRefused, DpopNonceRequired, DpopProofInvalid } from '../dpop/dpop.errors.js';
import { DpopService } from '../dpop/dpop.service.js';
import { DpopMetrics } from '../dpop/dpop-metrics.js';
import { LastSeenRecorder } from '../revocation/last-seen.recorder.js';
import { RevocationSet } from '../revocation/revocation-set.js';
import type { AccessPrincipal } from './access-principal.js';
import { audienceOf } from './access-token.service.js';
import { CLOCK_TOLERANCE_S } from '../clock-tolerance.js';

/**
 * Verifies access tokens from memory. The rules are the core's (`AccessTokenChecker` of
 * @device-auth/verifier/core, the same the package judges by): signature with the pinned
 * algorithm and key (jose), `typ: at+jwt`, `kid`, `iss`, `aud`, the claims, `cnf`, and `exp`,
 * `iat` and the maximum age (ACCESS_TOKEN_TTL) by the injectable clock; a token that passed
 * once is remembered until its `exp`, so the next request with it is judged synchronously.
 * What is the server's alone: which app's sessions a token may open, the revocation set, and
 * noting the device's activity. No database query on this path. Every failure is an
 * InvalidAccessToken; only "expired" is told apart.
 *
 * Each token is held to the audience of the app that asks (API.md § Tokens): the API accepts
 * only API session tokens, the dashboard only its own sessions' (`verifyToken` with
 * 'dashboard'), so a stolen API token, bound or bearer, never opens a dashboard session.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly rules: AccessTokenChecker;

  constructor(
    private readonly config: AppConfig,
    clock: Clock,
    private readonly revocations: RevocationSet,
    private readonly lastSeen: LastSeenRecorder,
    private readonly dpop: DpopService,
    private readonly metrics: DpopMetrics,
    private readonly keys: KeyRing,
  ) {
    this.rules = new AccessTokenChecker({
      // The key named by the token's `kid` among this process's keys (a static key, or a managed
      // key not revoked), for the pinned algorithm: unknown and revoked kids verify nothing.
      key: (header) => {
        const key = keys.verificationKey(header.kid, header.alg);
        if (key === undefined) throw new VerificationError('invalid_token', 'The token is signed with a key this service does not accept.');
        return key;
      },
      algorithms: keys.algorithms,
      issuer: config.jwt.issuer,
      // Either app's sessions (one shared cache); each call then holds the token to the asking app's.
      audiences: [config.jwt.audience, config.jwt.dashboardAudience],
      clockToleranceSeconds: CLOCK_TOLERANCE_S,
      maxAgeSeconds: config.accessTokenTtl + CLOCK_TOLERANCE_S,
      now: () => clock.now(),
    });
  }

  /**
   * The principal of a request's `Authorization` header: `Bearer <token>` for a bearer device's
   * token, `DPoP <token>` with a proof for a key-bound one (API.md § Device-bound tokens). A bound
   * token presented as Bearer is refused: without the key, a stolen one is useless. A bearer
   * token seen before is judged synchronously (the hot path); a new one awaits its signature
   * check, and a DPoP request its proof's.
   */
  verifyAuthorization(authorization: string | undefined, dpop?: () => DpopRequest): AccessPrincipal | Promise<AccessPrincipal> {
    const credentials = parseAuthorization(authorization);
    if (credentials?.scheme === 'Bearer') {
      const principal = this.verifyToken(credentials.token, 'api');
      return principal instanceof Promise ? principal.then((verified) => this.bearer(verified)) : this.bearer(principal);
    }
    if (credentials?.scheme === 'DPoP' && dpop) return this.verifyBound(credentials.token, dpop());
    throw new InvalidAccessToken(false);
  }

  private bearer(principal: AccessPrincipal): AccessPrincipal {
    try {
      checkBinding('Bearer', principal.jkt);
    } catch {
      this.metrics.boundTokenWithoutKey();
      throw new InvalidAccessToken(false);
    }
    return principal;
  }

  /** RFC 9449 §7.1: the token, then a proof by its key for this request, with `ath` of this token. */
  private async verifyBound(token: string, request: DpopRequest): Promise<AccessPrincipal> {
    let principal: AccessPrincipal;
    try {
      principal = await this.verifyToken(token, 'api');
      checkBinding('DPoP', principal.jkt);
    } catch (error) {
      if (error instanceof InvalidAccessToken || error instanceof VerificationError)
        throw new DpopAccessRefused('invalid_token', error.detail);
      throw error;
    }
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

  /**
   * The principal of an access token given on its own (the dashboard keeps it in a cookie; its
   * passport strategy hands it here), issued to `client`'s sessions: synchronous for a token
   * verified before, a promise otherwise.
   * @throws InvalidAccessToken (synchronously or as the promise's rejection)
   */
  verifyToken(token: string, client: SessionClient): AccessPrincipal | Promise<AccessPrincipal> {
    let claims: AccessTokenClaims | Promise<AccessTokenClaims>;
    try {
      claims = this.rules.verify(token, audienceOf(this.config, client));
    } catch (error) {
      throw refusal(error);
    }
    if (claims instanceof Promise)
      return claims.then(
        (verified) => this.admit(verified),
        (error: unknown) => {
          throw refusal(error);
        },
      );
    return this.admit(claims);
  }

  /** What the server adds on every request: the revocation set, then the device's activity is noted. */
  private admit(claims: AccessTokenClaims): AccessPrincipal {
    // A token verified (and cached) before its key was revoked is refused from then on.
    if (this.revocations.has(claims.deviceId) || (claims.keyId !== null && this.keys.isRevoked(claims.keyId)))
      throw new InvalidAccessToken(false);
    this.lastSeen.note(claims.deviceId);
    return {
      userId: claims.subject,
      deviceId: claims.deviceId,
      expiresAt: claims.expiresAt * 1000,
      jkt: claims.jkt,
      // A token without auth_time (issued before it existed) is never a recent authentication.
      authTime: claims.authTime === null ? 0 : claims.authTime * 1000,
    };
  }
}

/** The core's refusal in the server's words. */
function refusal(error: unknown): unknown {
  return error instanceof VerificationError ? new InvalidAccessToken(error.expired) : error;
}
