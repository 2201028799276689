import type { DevicePrincipal } from './device-principal.js';
import type { JWTVerifyGetKey } from 'jose';
import { AccessDenied } from './access-denied.error.js';
import {
  AccessTokenChecker,
  checkBinding,
  CLOCK_TOLERANCE_SECONDS,
  DPOP_PROOF_MAX_AGE_SECONDS,
  dpopReplayWindowSeconds,
  DpopProofChecker,
  normaliseHtu,
  parseAuthorization,
  VerificationError,
  VERIFIED_TOKEN_CACHE_SIZE,
  type AccessTokenClaims,
  type Now,
} from './core/index.js';
import { ReplayMemory } from './replay-memory.js';
import { RemoteKeySet } from './remote-key-set.js';
import { RevocationFeedFollower, type RevocationFeedOptions } from './revocation-feed-follower.js';

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
  /** DPoP proofs older than this are refused, seconds. Default 60 (the API's DPOP_PROOF_MAX_AGE); proofs are remembered for replay detection that long plus the tolerance, as by the API. */
  readonly dpopMaxAgeSeconds?: number;
  /** Most DPoP proofs remembered for replay detection. Default 100 000. */
  readonly dpopReplayCacheSize?: number;
  /** Token strings whose signature check is remembered until their `exp` (0: none). Default 10 000. */
  readonly verifiedTokenCacheSize?: number;
  /** For the JWK set and the feed; the global fetch by default. */
  readonly fetch?: typeof fetch;
  /** A token issued longer ago than this is refused whatever its `exp` (the API's ACCESS_TOKEN_TTL + 5); none by default. */
  readonly maxTokenAgeSeconds?: number;
  /** The clock the tokens, proofs and revocations are judged by, epoch ms; Date.now by default. */
  readonly now?: Now;
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

/**
 * Verifies the API's access tokens in a service outside it (API.md § Revocation outside the
 * API), by the same rules as the API (@device-auth/verifier/core): signature by the JWK set (or
 * the shared secret) with the algorithm, `iss`, `aud` and `typ: at+jwt` pinned and `exp`, `iat`,
 * `sub`, `sid`, `jti` required; a DPoP proof by the bound key when the token has `cnf.jkt`; and
 * the revocation feed's set. Every failure is an AccessDenied; only "expired" is told apart in
 * its message.
 */
export class DeviceAuthVerifier {
  private readonly tokens: AccessTokenChecker;
  private readonly proofs: DpopProofChecker;
  private readonly replay: ReplayMemory;
  private readonly feed: RevocationFeedFollower | null;
  private readonly now: Now;

  constructor(options: VerifierOptions) {
    if (!options.issuer || !options.audience) throw new TypeError('issuer and audience are required');
    if ((options.jwksUri === undefined) === (options.secret === undefined)) throw new TypeError('give exactly one of jwksUri and secret');
    const fetchImplementation = options.fetch ?? globalThis.fetch.bind(globalThis);
    let key: JWTVerifyGetKey | Uint8Array;
    let algorithms: string[];
    if (options.jwksUri !== undefined) {
      // The set is cached for the API's max-age and fetched again when a token names an unknown
      // `kid` (a rotation), at most every 30 s; the `alg` list below is pinned whatever the set says.
      key = new RemoteKeySet(new URL(options.jwksUri), fetchImplementation).getKey;
      algorithms = ['ES256', 'EdDSA'];
    } else {
      const secret = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret!;
      if (secret.byteLength < 32) throw new RangeError('secret must be at least 32 bytes (the API refuses shorter ones too)');
      key = secret;
      algorithms = ['HS256'];
    }
    this.now = options.now ?? Date.now;
    const clockToleranceSeconds = options.clockToleranceSeconds ?? CLOCK_TOLERANCE_SECONDS;
    const maxAgeSeconds = options.dpopMaxAgeSeconds ?? DPOP_PROOF_MAX_AGE_SECONDS;
    this.tokens = new AccessTokenChecker({
      key,
      algorithms,
      issuer: options.issuer,
      audiences: [options.audience],
      clockToleranceSeconds,
      maxAgeSeconds: options.maxTokenAgeSeconds,
      cacheSize: options.verifiedTokenCacheSize ?? VERIFIED_TOKEN_CACHE_SIZE,
      now: this.now,
    });
    this.proofs = new DpopProofChecker({ maxAgeSeconds, clockToleranceSeconds, now: this.now });
    this.replay = new ReplayMemory(
      options.dpopReplayCacheSize ?? 100_000,
      dpopReplayWindowSeconds({ maxAgeSeconds, clockToleranceSeconds }) * 1000,
    );
    const onError = options.onError ?? ((error: Error) => console.warn(`[device-auth verifier] ${error.message}`));
    this.feed = options.feed
      ? new RevocationFeedFollower(options.feed, { fetch: fetchImplementation, now: this.now, clockToleranceSeconds, onError })
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
    const credentials = parseAuthorization(request.authorization);
    if (credentials === null) throw new AccessDenied('invalid_token', 'The access token is missing or invalid.');
    const dpop = credentials.scheme === 'DPoP';
    const principal = await this.verifyToken(credentials.token, dpop);
    try {
      // API.md: a bound token sent as Bearer is refused; without the key, a stolen one is useless.
      checkBinding(credentials.scheme, principal.jkt);
    } catch (error) {
      throw denied(error, dpop);
    }
    if (!dpop) return this.admit(principal, false);
    if (typeof request.dpop !== 'string' && request.dpop !== undefined && request.dpop.length !== 1)
      throw new AccessDenied('invalid_dpop_proof', 'Exactly one DPoP proof is required.', true);
    const proof = typeof request.dpop === 'string' ? request.dpop : request.dpop?.[0];
    // A request URL that is no absolute http(s) URL (a hostile Host header) matches no proof.
    if (normaliseHtu(request.url) === null) throw new AccessDenied('invalid_dpop_proof', 'The DPoP proof is for another URL.', true);
    let checked: { jkt: string; jti: string };
    try {
      checked = await this.proofs.check(proof, { method: request.method, url: request.url, accessToken: credentials.token });
    } catch (error) {
      throw denied(error, true);
    }
    this.replay.remember(`${checked.jkt}:${checked.jti}`, this.now());
    if (checked.jkt !== principal.jkt)
      throw new AccessDenied('invalid_token', 'The DPoP proof was made with another key than the token is bound to.', true);
    return this.admit(principal, true);
  }

  /** Signature and claims of one access token (no DPoP, no revocation check). */
  private async verifyToken(token: string, dpop: boolean): Promise<DevicePrincipal> {
    let claims: AccessTokenClaims;
    try {
      claims = await this.tokens.verify(token);
    } catch (error) {
      throw denied(error, dpop);
    }
    return {
      userId: claims.subject,
      deviceId: claims.deviceId,
      expiresAt: claims.expiresAt * 1000,
      jkt: claims.jkt,
      keyId: claims.keyId,
      claims: claims.payload,
    };
  }

  private admit(principal: DevicePrincipal, dpop: boolean): DevicePrincipal {
    if (this.feed !== null) {
      if (!this.feed.current && this.feed.failsClosed)
        throw new AccessDenied('revocations_unknown', 'The revocation feed is out of reach; try again shortly.', dpop);
      if (this.feed.isRevoked(principal.deviceId) || (principal.keyId !== null && this.feed.isKeyRevoked(principal.keyId)))
        throw new AccessDenied('invalid_token', 'The access token is invalid.', dpop);
    }
    return principal;
  }
}

/** The core's refusal as the package answers it. */
function denied(error: unknown, dpop: boolean): unknown {
  return error instanceof VerificationError ? new AccessDenied(error.code, error.detail, dpop) : error;
}

/** `createVerifier(options)`: the same as `new DeviceAuthVerifier(options)`. */
export function createVerifier(options: VerifierOptions): DeviceAuthVerifier {
  return new DeviceAuthVerifier(options);
}
