import { DpopProofChecker, dpopReplayWindowSeconds, VerificationError, type DpopProofClaims } from '@device-auth/verifier/core';
import { DpopReplayCache } from './dpop-replay-cache.js';
import { DpopNonceRequired, DpopProofInvalid } from './dpop.errors.js';

export interface DpopProofVerifierOptions {
  /** How old (by its `iat`) a proof may be, in seconds (RFC 9449 §11.1). */
  readonly maxAgeSeconds: number;
  /** How far in the future a proof's `iat` may be, and the slack on `exp`/`nbf` if a proof has them. */
  readonly clockToleranceSeconds: number;
  /** The server's clock, epoch milliseconds. */
  readonly now: () => number;
  /** Most proofs remembered at once for replay detection; see DpopReplayCache. */
  readonly replayCacheSize?: number;
  /**
   * With nonces on, bound a proof's freshness by its server-issued nonce rather than by its `iat`
   * (RFC 9449 §8: the nonce is the server's own clock), so a device whose clock is off by minutes
   * is not locked out. Applies only to calls that pass `expected.nonce`; others keep the `iat` check.
   * Needs {@link nonceLifetimeSeconds}.
   */
  readonly freshnessFromNonce?: boolean;
  /**
   * The longest a nonce is accepted (`DpopNonces.lifetimeSeconds`): with freshnessFromNonce, a proof
   * is replayable for as long as its nonce lasts, so the replay cache keeps it that long.
   */
  readonly nonceLifetimeSeconds?: number;
}

export interface DpopExpectation {
  /** The request's method, compared case-sensitively (RFC 9449 §4.3 step 8, RFC 9110 §9.1). */
  readonly method: string;
  /** The request's absolute URL as the server sees it; query and fragment are ignored. */
  readonly url: string;
  /** The access token the request presents; the proof must then carry its `ath` (RFC 9449 §4.3 step 12). */
  readonly accessToken?: string;
  /** Present when nonces are on: true when the proof's `nonce` is one the server issued and still accepts. */
  readonly nonce?: (nonce: string | undefined) => boolean;
}

export interface VerifiedDpopProof {
  /** The RFC 7638 SHA-256 thumbprint of the proof's public key, base64url. */
  readonly jkt: string;
  readonly jti: string;
}

export const DEFAULT_REPLAY_CACHE_SIZE = 100_000;

/**
 * The server's DPoP proof verification (RFC 9449 §4.3): the rules themselves are the core's
 * (`DpopProofChecker` of @device-auth/verifier/core, the same the package judges by); this class
 * adds what only the server has: nonces (§8), and replay detection in its fair-share cache.
 *
 * The caller passes the single `DPoP` header value. A request with several `DPoP` header fields,
 * or one whose value was joined from several with commas, must be refused before it gets here
 * (§4.3 step 1: "not more than one DPoP HTTP request header field"); a joined value is in any
 * case no valid compact JWS and fails here as a malformed proof.
 *
 * Replay (§11.1): each accepted proof's key thumbprint and `jti` are remembered for the core's
 * replay window (`dpopReplayWindowSeconds`: max age plus clock tolerance, or the nonce lifetime
 * with freshnessFromNonce), counted from when it was first seen, in a bounded cache shared fairly
 * between the proofs' owners (DpopReplayCache). `verify` checks and remembers in one call;
 * `check` and `remember` apart let a caller remember a proof only once its request passed the
 * checks that cost nothing (a sign-in's rate limit), and name another owner than the key.
 *
 * One instance per process: replay detection is per process, as RFC 9449 §11.1 allows.
 */
export class DpopProofVerifier {
  private readonly replay: DpopReplayCache;
  private readonly rules: DpopProofChecker;

  constructor(private readonly options: DpopProofVerifierOptions) {
    const { maxAgeSeconds, clockToleranceSeconds, replayCacheSize = DEFAULT_REPLAY_CACHE_SIZE } = options;
    if (!(maxAgeSeconds > 0) || !(clockToleranceSeconds >= 0))
      throw new RangeError('maxAgeSeconds must be > 0, clockToleranceSeconds >= 0');
    let freshnessLifetime: number | undefined;
    if (options.freshnessFromNonce) {
      freshnessLifetime = options.nonceLifetimeSeconds;
      if (freshnessLifetime === undefined || !(freshnessLifetime > 0))
        throw new RangeError('freshnessFromNonce needs nonceLifetimeSeconds > 0');
    }
    this.rules = new DpopProofChecker({ maxAgeSeconds, clockToleranceSeconds, now: options.now });
    this.replay = new DpopReplayCache(replayCacheSize, dpopReplayWindowSeconds(options, freshnessLifetime) * 1000);
  }

  /** Proofs currently remembered for replay detection. */
  get replayCacheEntries(): number {
    return this.replay.size(this.options.now());
  }

  /** How many proofs one owner may have remembered at once. */
  get replayShareOfOwner(): number {
    return this.replay.shareOfOwner;
  }

  /**
   * Checks a proof and remembers it for replay detection under `owner` (default: its key).
   * @throws DpopProofInvalid for a missing, malformed, failing or replayed proof
   * @throws DpopNonceRequired when `expected.nonce` is given and refuses the proof's nonce
   * @throws RateLimited when the owner is over its share of the replay cache (DpopReplayCache)
   */
  async verify(proof: string | undefined, expected: DpopExpectation, owner?: string): Promise<VerifiedDpopProof> {
    const verified = await this.check(proof, expected);
    this.remember(verified, owner);
    return verified;
  }

  /** Remembers a checked proof (see verify); synchronous, so no two requests with one proof both pass. */
  remember(proof: VerifiedDpopProof, owner: string = proof.jkt): void {
    this.replay.remember(owner, `${proof.jkt}:${proof.jti}`, this.options.now());
  }

  /** Every check of `verify` but the replay check; remembers nothing. */
  async check(proof: string | undefined, expected: DpopExpectation): Promise<VerifiedDpopProof> {
    const { nonce } = expected;
    // §8: a proof without an acceptable nonce is answered use_dpop_nonce before its age is judged,
    // so a client whose clock is off gets a nonce and can recover (with freshnessFromNonce).
    const freshness = nonce
      ? (claims: DpopProofClaims): boolean => {
          if (claims.nonce !== undefined && typeof claims.nonce !== 'string')
            throw new DpopProofInvalid('The DPoP nonce must be a string.');
          if (!nonce(claims.nonce)) throw new DpopNonceRequired();
          return this.options.freshnessFromNonce === true;
        }
      : undefined;
    try {
      return await this.rules.check(proof, { method: expected.method, url: expected.url, accessToken: expected.accessToken, freshness });
    } catch (error) {
      if (error instanceof VerificationError) throw new DpopProofInvalid(error.detail);
      throw error;
    }
  }
}
