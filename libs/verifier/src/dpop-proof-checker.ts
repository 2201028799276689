import { base64url, calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import { AccessDenied, DPOP_ALGORITHMS } from './access-denied.error.js';
import { normaliseHtu } from './htu.js';

export interface DpopCheckOptions {
  /** How old (by `iat`) a proof may be, seconds (API.md: DPOP_PROOF_MAX_AGE, 60 s). */
  readonly maxAgeSeconds: number;
  readonly clockToleranceSeconds: number;
  /** Most proofs remembered for replay detection; when full of fresh ones, requests get 503. */
  readonly replayCacheSize: number;
}

export interface DpopExpectation {
  readonly method: string;
  /** The request's absolute URL as the client addressed it. */
  readonly url: string;
  readonly accessToken: string;
  /** The token's `cnf.jkt`: the proof must be signed by that key. */
  readonly jkt: string;
}

const MAX_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 128;

/**
 * RFC 9449 §4.3 and §7.1 for a resource server: the proof is a `dpop+jwt` signed (ES256 or
 * EdDSA) by the public key in its header, which must be the key the access token is bound to;
 * `htm`/`htu` name this request, `ath` is this token's hash, `iat` is recent, and its `jti` has
 * not been seen in the window (per process, as §11.1 allows). No nonces: those are the
 * authorization server's (API.md § Nonces).
 */
export class DpopProofChecker {
  /** `jkt:jti` → when it may be forgotten (epoch ms); insertion order is expiry order. */
  private readonly seen = new Map<string, number>();
  private readonly windowMs: number;

  constructor(private readonly options: DpopCheckOptions) {
    this.windowMs = (options.maxAgeSeconds + 2 * options.clockToleranceSeconds) * 1000;
  }

  async check(proof: string | undefined, expected: DpopExpectation, nowMs: number): Promise<void> {
    if (proof === undefined || proof.length === 0) throw new AccessDenied('invalid_dpop_proof', 'A DPoP proof is required.', true);
    if (proof.length > MAX_PROOF_LENGTH) throw new AccessDenied('invalid_dpop_proof', 'The DPoP proof is too large.', true);
    let payload: Record<string, unknown>;
    let jwk: JWK | undefined;
    try {
      // jose checks the signature by the header's (public) key, `typ`, and the algorithm list
      // (never `none` or a MAC).
      const verified = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: [...DPOP_ALGORITHMS, 'Ed25519'],
        currentDate: new Date(nowMs),
        clockTolerance: this.options.clockToleranceSeconds,
      });
      payload = verified.payload;
      jwk = verified.protectedHeader.jwk;
    } catch {
      throw new AccessDenied('invalid_dpop_proof', 'The DPoP proof is not a valid signed dpop+jwt.', true);
    }
    if (!jwk || (await calculateJwkThumbprint(jwk, 'sha256')) !== expected.jkt) {
      throw new AccessDenied('invalid_token', 'The DPoP proof was made with another key than the token is bound to.', true);
    }
    if (payload.htm !== expected.method) throw new AccessDenied('invalid_dpop_proof', 'The DPoP proof is for another HTTP method.', true);
    const htu = typeof payload.htu === 'string' ? normaliseHtu(payload.htu) : null;
    if (htu === null || htu !== normaliseHtu(expected.url))
      throw new AccessDenied('invalid_dpop_proof', 'The DPoP proof is for another URL.', true);
    if (payload.ath !== (await tokenHash(expected.accessToken)))
      throw new AccessDenied('invalid_dpop_proof', 'The DPoP proof is not for this access token.', true);
    const { jti, iat } = payload;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH)
      throw new AccessDenied('invalid_dpop_proof', 'The DPoP proof needs a jti.', true);
    const nowS = nowMs / 1000;
    const { maxAgeSeconds, clockToleranceSeconds } = this.options;
    if (typeof iat !== 'number' || iat > nowS + clockToleranceSeconds || iat < nowS - maxAgeSeconds - clockToleranceSeconds)
      throw new AccessDenied('invalid_dpop_proof', 'The DPoP proof is too old or from the future.', true);
    this.remember(`${expected.jkt}:${jti}`, nowMs);
  }

  /**
   * Refuses a proof seen within the window. When the cache is full of proofs still inside it,
   * new ones are refused (503) rather than old ones forgotten: forgetting would let whoever
   * mints proofs fast enough flush the cache and then replay a captured one.
   */
  private remember(key: string, nowMs: number): void {
    for (const [entry, expiresAt] of this.seen) {
      if (expiresAt > nowMs) break;
      this.seen.delete(entry);
    }
    if (this.seen.has(key)) throw new AccessDenied('invalid_dpop_proof', 'The DPoP proof was already used.', true);
    if (this.seen.size >= this.options.replayCacheSize)
      throw new AccessDenied('busy', 'Too many DPoP proofs at once; retry shortly.', true);
    this.seen.set(key, nowMs + this.windowMs);
  }
}

/** RFC 9449 §4.2 `ath`: base64url SHA-256 of the access token's ASCII. */
async function tokenHash(token: string): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))));
}
