import { jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyGetKey, type KeyObject } from 'jose';
import { CLOCK_TOLERANCE_SECONDS, type Now } from './clock.js';
import { MAX_ACCESS_TOKEN_LENGTH } from './authorization-header.js';
import { invalidToken } from './errors.js';
import { ExpiringCache } from './expiring-cache.js';

/** RFC 9068 §2.1: the access tokens' `typ`, compared exactly. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** A JWS in compact serialization: three base64url segments (RFC 7515 §7.1), none empty. */
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** A token's last segment: its signature, when it is a JWS. */
const signatureOf = (token: string): string => token.slice(token.lastIndexOf('.') + 1);

/** The key access tokens are verified with: a public key or secret, or a JWK set's resolver (jose's). */
export type AccessTokenKey = CryptoKey | KeyObject | Uint8Array | JWTVerifyGetKey;

export interface AccessTokenRules {
  /** The key, and the one algorithm (or few) it is pinned to: never taken from the token. */
  readonly key: AccessTokenKey;
  readonly algorithms: readonly string[];
  /** The tokens' `iss`, compared exactly. */
  readonly issuer: string;
  /** The accepted `aud` (a string in the token, one of these); the caller may then hold a token to one. */
  readonly audiences: readonly string[];
  /** When set, the header's `kid` must be exactly this (the server knows its one key). */
  readonly keyId?: string;
  /** Seconds of clock difference tolerated on `exp`, `nbf` and `iat` (default 5). */
  readonly clockToleranceSeconds?: number;
  /** When set, a token is expired this long after its `iat` whatever its `exp` (plus the tolerance). */
  readonly maxAgeSeconds?: number;
  /** Token strings whose signature and static checks are remembered until their `exp` (default 10 000; 0: none). */
  readonly cacheSize?: number;
  /** The clock, epoch ms (default Date.now). */
  readonly now?: Now;
}

/** What a verified access token says. */
export interface AccessTokenClaims {
  /** `sub`: the account. */
  readonly subject: string;
  /** `sid`: the device session. */
  readonly deviceId: string;
  readonly tokenId: string;
  /** `iat` and `exp`, epoch seconds. */
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** The token's `aud` (one of the rules' audiences). */
  readonly audience: string;
  /** `cnf.jkt`: the DPoP key the token is bound to (RFC 9449 §6); null for a bearer token. */
  readonly jkt: string | null;
  /** `auth_time`, epoch seconds: when the user last actively authenticated on this device; null when absent. */
  readonly authTime: number | null;
  /** The header's `kid`: the key it was signed with (a revoked key's tokens are refused even after they verified once); null when absent. */
  readonly keyId: string | null;
  readonly payload: Readonly<JWTPayload>;
}

/**
 * Enough for every token in use on one process at a time (each device holds one access token
 * for its lifetime); past it the oldest entry makes room, which costs a re-verification.
 */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/**
 * The access-token rules (API.md § Tokens, RFC 9068): signature with the pinned key and
 * algorithm (jose), `typ: at+jwt`, `iss`, a string `aud` among the accepted ones, the `kid` when
 * pinned, `sub`, `sid`, `jti` strings, `exp`, `iat` numbers and `auth_time` a number when present, `cnf` absent or `{ jkt: string }`;
 * then, on every call, `iat` not in the future, `exp` and the maximum age by the injected clock.
 *
 * Tokens that pass the static checks are remembered until their `exp`, so the next request with
 * the same token skips the signature check (the bulk of the cost; a device sends one token for
 * its whole lifetime): then `verify` answers synchronously. The memory is found by the token's
 * signature segment (hashing its ~90 characters, not the whole ~700) and holds the whole token,
 * which must be equal: a forged token that copies a valid signature is a miss and is verified
 * (and refused). Only tokens that verified are added, so forged ones cannot fill the cache.
 * Every failure is a VerificationError `invalid_token`; only "expired" is told apart.
 */
export class AccessTokenChecker {
  /** By signature segment: the whole token verified, and its claims. */
  private readonly verified: ExpiringCache<string, { readonly token: string; readonly claims: AccessTokenClaims }>;
  private readonly algorithms: string[];
  private readonly tolerance: number;
  private readonly now: Now;

  constructor(private readonly rules: AccessTokenRules) {
    if (rules.algorithms.length === 0 || rules.algorithms.some((alg) => alg === 'none'))
      throw new RangeError('pin at least one real algorithm');
    if (!rules.issuer || rules.audiences.length === 0) throw new TypeError('issuer and audiences are required');
    this.algorithms = [...rules.algorithms];
    this.tolerance = rules.clockToleranceSeconds ?? CLOCK_TOLERANCE_SECONDS;
    this.now = rules.now ?? Date.now;
    this.verified = new ExpiringCache(rules.cacheSize ?? VERIFIED_TOKEN_CACHE_SIZE);
  }

  /** Token strings remembered as verified. */
  get cachedTokens(): number {
    return this.verified.size;
  }

  /**
   * The claims of a valid token, judged at the clock's now: synchronous for a token verified
   * before (the hot path), a promise otherwise. With `audience`, the token must have been issued
   * for exactly that one of the accepted audiences (judged before its time).
   * @throws VerificationError `invalid_token` (synchronously, or as the promise's rejection)
   */
  verify(token: string, audience?: string): AccessTokenClaims | Promise<AccessTokenClaims> {
    const nowMs = this.now();
    const cached = typeof token === 'string' ? this.verified.get(signatureOf(token), nowMs) : undefined;
    if (cached !== undefined && cached.token === token) return this.admit(cached.claims, audience, nowMs);
    return this.verifySignature(token, nowMs).then((claims) => {
      this.verified.set(signatureOf(token), { token, claims }, claims.expiresAt * 1000);
      return this.admit(claims, audience, this.now());
    });
  }

  private async verifySignature(token: string, nowMs: number): Promise<AccessTokenClaims> {
    if (typeof token !== 'string' || token.length > MAX_ACCESS_TOKEN_LENGTH || !JWS_COMPACT.test(token)) throw invalidToken();
    let payload: JWTPayload;
    let header: { typ?: unknown; kid?: unknown };
    try {
      // jose: the signature by the pinned key, the `alg` allow-list (never `none`, never a MAC
      // with a public key), `typ`, `iss`, `exp`/`nbf` by the injected clock, and `crit`.
      ({ payload, protectedHeader: header } = await jwtVerify(token, this.rules.key as Uint8Array, {
        algorithms: this.algorithms,
        issuer: this.rules.issuer,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
        currentDate: new Date(nowMs),
        clockTolerance: this.tolerance,
      }));
    } catch (error) {
      throw invalidToken((error as { code?: unknown }).code === 'ERR_JWT_EXPIRED');
    }
    const { sub, sid, jti, exp, iat, aud, cnf, auth_time: authTime } = payload as Record<string, unknown>;
    if (
      header.typ !== ACCESS_TOKEN_TYPE ||
      (this.rules.keyId !== undefined && header.kid !== this.rules.keyId) ||
      typeof sub !== 'string' ||
      typeof sid !== 'string' ||
      typeof jti !== 'string' ||
      typeof exp !== 'number' ||
      typeof iat !== 'number' ||
      typeof aud !== 'string' ||
      !this.rules.audiences.includes(aud) ||
      (authTime !== undefined && (typeof authTime !== 'number' || !Number.isFinite(authTime))) ||
      (cnf !== undefined && (typeof cnf !== 'object' || cnf === null || typeof (cnf as { jkt?: unknown }).jkt !== 'string'))
    ) {
      throw invalidToken();
    }
    return {
      subject: sub,
      deviceId: sid,
      tokenId: jti,
      issuedAt: iat,
      expiresAt: exp,
      audience: aud,
      jkt: cnf === undefined ? null : (cnf as { jkt: string }).jkt,
      authTime: authTime === undefined ? null : authTime,
      keyId: typeof header.kid === 'string' ? header.kid : null,
      payload,
    };
  }

  /** What is judged on every call: the audience asked for, `iat` not in the future, expiry and maximum age. */
  private admit(claims: AccessTokenClaims, audience: string | undefined, nowMs: number): AccessTokenClaims {
    if (audience !== undefined && claims.audience !== audience) throw invalidToken();
    const nowS = nowMs / 1000;
    if (claims.issuedAt > nowS + this.tolerance) throw invalidToken();
    const { maxAgeSeconds } = this.rules;
    if (
      nowS >= claims.expiresAt + this.tolerance ||
      (maxAgeSeconds !== undefined && nowS >= claims.issuedAt + maxAgeSeconds + this.tolerance)
    )
      throw invalidToken(true);
    return claims;
  }
}
