import type { DevicePrincipal } from './device-principal.js';
import { createRemoteJWKSet, customFetch, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { AccessDenied } from './access-denied.error.js';
import { DpopProofChecker } from './dpop-proof-checker.js';
import { RevocationFeedFollower, type RevocationFeedOptions } from './revocation-feed-follower.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

export interface VerifierOptions {
  /** The tokens' `iss` (the API's JWT_ISSUER; its PUBLIC_URL by default). */
  readonly issuer: string;
  /** The tokens' `aud` (the API's JWT_AUDIENCE). */
  readonly audience: string;
  /** The API's JWK set (`<API>/.well-known/jwks.json`): ES256 tokens, keys cached and re-fetched on rotation. */
  readonly jwksUri?: string | URL;
  /** Or the API's JWT_SECRET: HS256 tokens (then this service can mint tokens too; prefer ES256). */
  readonly secret?: string | Uint8Array;
  /** Follow the API's revocation feed; without it, revoked devices' tokens stay good until they expire. */
  readonly feed?: RevocationFeedOptions;
  /** Seconds of clock difference tolerated on `exp`, `iat` and DPoP proofs. Default 5 (as the API). */
  readonly clockToleranceSeconds?: number;
  /** DPoP proofs older than this are refused, seconds. Default 60 (the API's DPOP_PROOF_MAX_AGE). */
  readonly dpopMaxAgeSeconds?: number;
  /** Most DPoP proofs remembered for replay detection. Default 100 000. */
  readonly dpopReplayCacheSize?: number;
  /** Token strings whose signature check is remembered until their `exp` (0: none). Default 10 000. */
  readonly verifiedTokenCacheSize?: number;
  /** For the JWK set and the feed; the global fetch by default. */
  readonly fetch?: typeof fetch;
  /** Where feed failures are reported; console.warn by default. */
  readonly onError?: (error: Error) => void;
}

/** What a request carries, as the adapters read it. */
export interface VerifiableRequest {
  /** The `Authorization` header. */
  readonly authorization: string | undefined;
  /** The `DPoP` header; more than one is refused (RFC 9449 §4.3 step 1). */
  readonly dpop: string | readonly string[] | undefined;
  readonly method: string;
  /** The absolute URL the client addressed (for DPoP's `htu`). */
  readonly url: string;
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const DPOP = /^DPoP +([A-Za-z0-9\-._~+/]+=*) *$/i;
const MAX_TOKEN_LENGTH = 8192;

/**
 * Verifies the API's access tokens in a service outside it (API.md § Revocation outside the
 * API): signature by the JWK set (or the shared secret) with the algorithm, `iss`, `aud` and
 * `typ: at+jwt` pinned and `exp`, `iat`, `sub`, `sid`, `jti` required; a DPoP proof by the
 * bound key when the token has `cnf.jkt`; and the revocation feed's set. Every failure is an
 * AccessDenied; only "expired" is told apart in its message.
 */
export class DeviceAuthVerifier {
  private readonly key: JWTVerifyGetKey | Uint8Array;
  private readonly algorithms: string[];
  private readonly clockToleranceSeconds: number;
  private readonly dpop: DpopProofChecker;
  private readonly feed: RevocationFeedFollower | null;
  private readonly verified: VerifiedTokenCache;

  constructor(private readonly options: VerifierOptions) {
    if (!options.issuer || !options.audience) throw new TypeError('issuer and audience are required');
    if ((options.jwksUri === undefined) === (options.secret === undefined)) throw new TypeError('give exactly one of jwksUri and secret');
    const fetchImplementation = options.fetch ?? globalThis.fetch.bind(globalThis);
    if (options.jwksUri !== undefined) {
      // jose caches the set, re-fetches it when a token names an unknown `kid` (key rotation),
      // at most every 30 s, and the `alg` list below is pinned whatever the set says.
      this.key = createRemoteJWKSet(new URL(options.jwksUri), {
        [customFetch]: (url, init) => fetchImplementation(url, init),
      });
      this.algorithms = ['ES256'];
    } else {
      const secret = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret!;
      if (secret.byteLength < 32) throw new RangeError('secret must be at least 32 bytes (the API refuses shorter ones too)');
      this.key = secret;
      this.algorithms = ['HS256'];
    }
    this.clockToleranceSeconds = options.clockToleranceSeconds ?? 5;
    this.verified = new VerifiedTokenCache(options.verifiedTokenCacheSize ?? 10_000);
    this.dpop = new DpopProofChecker({
      maxAgeSeconds: options.dpopMaxAgeSeconds ?? 60,
      clockToleranceSeconds: this.clockToleranceSeconds,
      replayCacheSize: options.dpopReplayCacheSize ?? 100_000,
    });
    const onError = options.onError ?? ((error: Error) => console.warn(`[device-auth verifier] ${error.message}`));
    this.feed = options.feed
      ? new RevocationFeedFollower(options.feed, {
          fetch: fetchImplementation,
          now: () => Date.now(),
          clockToleranceSeconds: this.clockToleranceSeconds,
          onError,
        })
      : null;
  }

  /** Resolves once the revocation feed has answered once (at once without a feed). */
  ready(): Promise<void> {
    return this.feed?.ready() ?? Promise.resolve();
  }

  /** True when the feed says the device was revoked and its tokens may still be alive. */
  isRevoked(deviceId: string): boolean {
    return this.feed?.isRevoked(deviceId) ?? false;
  }

  /** Stops following the feed. */
  async close(): Promise<void> {
    await this.feed?.close();
  }

  /** The principal of a request: `Bearer <token>`, or `DPoP <token>` with a proof for a bound token. */
  async verifyRequest(request: VerifiableRequest): Promise<DevicePrincipal> {
    const authorization = request.authorization ?? '';
    const bearer = BEARER.exec(authorization)?.[1];
    if (bearer !== undefined) {
      const principal = await this.verifyToken(bearer, false);
      // API.md: a bound token sent as Bearer is refused; without the key, a stolen one is useless.
      if (principal.jkt !== null) throw new AccessDenied('invalid_token', 'The access token is invalid.');
      return this.admit(principal, false);
    }
    const bound = DPOP.exec(authorization)?.[1];
    if (bound === undefined) throw new AccessDenied('invalid_token', 'The access token is missing or invalid.');
    const principal = await this.verifyToken(bound, true);
    if (principal.jkt === null) throw new AccessDenied('invalid_token', 'The access token is invalid.', true);
    if (typeof request.dpop !== 'string' && request.dpop !== undefined && request.dpop.length !== 1)
      throw new AccessDenied('invalid_dpop_proof', 'Exactly one DPoP proof is required.', true);
    const proof = typeof request.dpop === 'string' ? request.dpop : request.dpop?.[0];
    await this.dpop.check(proof, { method: request.method, url: request.url, accessToken: bound, jkt: principal.jkt }, Date.now());
    return this.admit(principal, true);
  }

  /** Signature and claims of one access token (no DPoP, no revocation check). */
  private async verifyToken(token: string, dpop: boolean): Promise<DevicePrincipal> {
    const cached = this.verified.get(token, Date.now());
    if (cached !== undefined) return cached;
    if (token.length > MAX_TOKEN_LENGTH) throw new AccessDenied('invalid_token', 'The access token is invalid.', dpop);
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.key as Uint8Array, {
        algorithms: this.algorithms,
        issuer: this.options.issuer,
        audience: this.options.audience,
        typ: 'at+jwt',
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
        clockTolerance: this.clockToleranceSeconds,
      }));
    } catch (error) {
      const expired = (error as { code?: unknown }).code === 'ERR_JWT_EXPIRED';
      throw new AccessDenied('invalid_token', expired ? 'The access token expired.' : 'The access token is invalid.', dpop);
    }
    const { sub, sid, exp, iat, cnf } = payload as { sub?: unknown; sid?: unknown; exp?: unknown; iat?: unknown; cnf?: unknown };
    const jkt = cnf === undefined ? null : (cnf as { jkt?: unknown } | null)?.jkt;
    if (
      typeof sub !== 'string' ||
      typeof sid !== 'string' ||
      typeof exp !== 'number' ||
      typeof iat !== 'number' ||
      iat > Date.now() / 1000 + this.clockToleranceSeconds ||
      (jkt !== null && typeof jkt !== 'string')
    ) {
      throw new AccessDenied('invalid_token', 'The access token is invalid.', dpop);
    }
    const principal = { userId: sub, deviceId: sid, expiresAt: exp * 1000, jkt: jkt ?? null, claims: payload };
    this.verified.add(token, principal);
    return principal;
  }

  private admit(principal: DevicePrincipal, dpop: boolean): DevicePrincipal {
    if (this.feed !== null) {
      if (!this.feed.current && this.feed.failsClosed)
        throw new AccessDenied('revocations_unknown', 'The revocation feed is out of reach; try again shortly.', dpop);
      if (this.feed.isRevoked(principal.deviceId)) throw new AccessDenied('invalid_token', 'The access token is invalid.', dpop);
    }
    return principal;
  }
}

/** `createVerifier(options)`: the same as `new DeviceAuthVerifier(options)`. */
export function createVerifier(options: VerifierOptions): DeviceAuthVerifier {
  return new DeviceAuthVerifier(options);
}
