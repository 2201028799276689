import { ServiceBusy } from '@app/platform';
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { createHash, timingSafeEqual, type webcrypto } from 'node:crypto';
import { DpopNonceRequired, DpopProofInvalid } from './dpop.errors.js';
import { normaliseHtu } from './htu.js';

export interface DpopProofVerifierOptions {
  /** How old (by its `iat`) a proof may be, in seconds (RFC 9449 §11.1). */
  readonly maxAgeSeconds: number;
  /** How far in the future a proof's `iat` may be, and the slack on `exp`/`nbf` if a proof has them. */
  readonly clockToleranceSeconds: number;
  /** The server's clock, epoch milliseconds. */
  readonly now: () => number;
  /** Most proofs remembered at once for replay detection; see {@link DpopProofVerifier}. */
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

export const DPOP_SIGNING_ALGORITHMS = ['ES256', 'EdDSA', 'Ed25519'] as const;

const DEFAULT_REPLAY_CACHE_SIZE = 100_000;
/** Far above any honest proof (a P-256 or Ed25519 proof is ~500 bytes), and bounds the parsing work. */
const MAX_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 128;
const SHA256_BASE64URL_LENGTH = 43;
/** Members that only a private (or symmetric) JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];

/**
 * Verifies DPoP proofs (RFC 9449 §4.3). The signature, `typ` and `alg` checks are jose's
 * `jwtVerify` with the embedded key; this class adds the DPoP rules around it.
 *
 * The caller passes the single `DPoP` header value. A request with several `DPoP` header fields,
 * or one whose value was joined from several with commas, must be refused before it gets here
 * (§4.3 step 1: "not more than one DPoP HTTP request header field"); a joined value is in any
 * case no valid compact JWS and fails here as a malformed proof.
 *
 * Replay (§11.1): each accepted proof's key thumbprint and `jti` are remembered for as long as
 * the proof could still be accepted (max age plus clock tolerance, or the nonce lifetime with
 * freshnessFromNonce), counted from when it was first seen. The cache is bounded: entries past
 * that window are dropped, and when it is full of entries still inside it, new proofs are refused
 * with ServiceBusy (503, Retry-After until the oldest entry expires) rather than an older entry
 * forgotten. Forgetting would let anyone who can mint proofs (any key will do at sign-in) flush
 * the cache and then replay a captured proof, i.e. switch replay protection off at will; refusing
 * fails closed, costs an honest client one retry, and drains by itself within the window. Size the
 * cache above the proof rate times the window, and rate-limit upstream.
 *
 * One instance per process: replay detection is per process, as RFC 9449 §11.1 allows.
 */
export class DpopProofVerifier {
  private readonly replayCacheSize: number;
  private readonly replayWindowMs: number;
  /** Key: `jkt:jti`; value: when the entry may be dropped (epoch ms). Insertion order ≈ expiry order. */
  private readonly seen = new Map<string, number>();
  /**
   * Imported public keys and their thumbprints, by the proof header's `alg` and `jwk` exactly as
   * sent: a device signs every request with one key, and importing it (WebCrypto) and hashing it
   * cost more than the signature check itself (measured: ~210 + ~135 µs of ~730 µs per proof).
   * Bounded; the least recently used key goes first.
   */
  private readonly keys = new Map<string, { readonly key: PublicKey; readonly jkt: string }>();

  constructor(private readonly options: DpopProofVerifierOptions) {
    const { maxAgeSeconds, clockToleranceSeconds, replayCacheSize = DEFAULT_REPLAY_CACHE_SIZE } = options;
    if (!(maxAgeSeconds > 0) || !(clockToleranceSeconds >= 0))
      throw new RangeError('maxAgeSeconds must be > 0, clockToleranceSeconds >= 0');
    if (!Number.isInteger(replayCacheSize) || replayCacheSize < 1) throw new RangeError('replayCacheSize must be a positive integer');
    let windowSeconds = maxAgeSeconds + clockToleranceSeconds;
    if (options.freshnessFromNonce) {
      const lifetime = options.nonceLifetimeSeconds;
      if (lifetime === undefined || !(lifetime > 0)) throw new RangeError('freshnessFromNonce needs nonceLifetimeSeconds > 0');
      windowSeconds = Math.max(windowSeconds, lifetime + clockToleranceSeconds);
    }
    this.replayCacheSize = replayCacheSize;
    this.replayWindowMs = windowSeconds * 1000;
  }

  /** Proofs currently remembered for replay detection. */
  get replayCacheEntries(): number {
    this.evictExpired(this.options.now());
    return this.seen.size;
  }

  /**
   * @throws DpopProofInvalid for a missing, malformed or failing proof
   * @throws DpopNonceRequired when `expected.nonce` is given and refuses the proof's nonce
   * @throws ServiceBusy when the replay cache is full of proofs that are still fresh
   */
  async verify(proof: string | undefined, expected: DpopExpectation): Promise<VerifiedDpopProof> {
    if (typeof proof !== 'string' || proof.length === 0) throw new DpopProofInvalid('A DPoP proof is required.');
    if (proof.length > MAX_PROOF_LENGTH) throw new DpopProofInvalid('The DPoP proof is too large.');
    const { jwk, alg } = publicJwkOf(proof);
    const { key, jkt } = await this.keyOf(jwk, alg);

    const nowMs = this.options.now();
    let payload: JWTPayload;
    try {
      // jose checks the signature by the header's key (imported above, public only), `typ`
      // (RFC 8725 §3.11), the `alg` allow-list (never `none` or a MAC, RFC 9449 §4.3 steps 4–6),
      // that the key fits the `alg`, and `crit`.
      ({ payload } = await jwtVerify(proof, key, {
        typ: 'dpop+jwt',
        algorithms: [...DPOP_SIGNING_ALGORITHMS],
        currentDate: new Date(nowMs),
        clockTolerance: this.options.clockToleranceSeconds,
      }));
    } catch {
      throw new DpopProofInvalid('The DPoP proof is not a valid signed dpop+jwt.');
    }

    if (payload.htm !== expected.method) throw new DpopProofInvalid('The DPoP proof is for another HTTP method.');
    const expectedHtu = normaliseHtu(expected.url);
    if (expectedHtu === null) throw new TypeError('expected.url must be an absolute http(s) URL');
    if (typeof payload.htu !== 'string' || normaliseHtu(payload.htu) !== expectedHtu) {
      throw new DpopProofInvalid('The DPoP proof is for another URL.');
    }
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > MAX_JTI_LENGTH) {
      throw new DpopProofInvalid('The DPoP proof needs a jti of at most 128 characters.');
    }
    if (typeof payload.iat !== 'number') throw new DpopProofInvalid('The DPoP proof needs an iat.');

    // §8: a proof without an acceptable nonce is answered use_dpop_nonce before its age is judged,
    // so a client whose clock is off gets a nonce and can recover (with freshnessFromNonce).
    let freshByNonce = false;
    if (expected.nonce) {
      if (payload.nonce !== undefined && typeof payload.nonce !== 'string') throw new DpopProofInvalid('The DPoP nonce must be a string.');
      if (!expected.nonce(payload.nonce)) throw new DpopNonceRequired();
      freshByNonce = this.options.freshnessFromNonce === true;
    }
    if (!freshByNonce) {
      const ageSeconds = nowMs / 1000 - payload.iat;
      if (ageSeconds > this.options.maxAgeSeconds) throw new DpopProofInvalid('The DPoP proof is too old.');
      if (-ageSeconds > this.options.clockToleranceSeconds) throw new DpopProofInvalid('The DPoP proof is issued in the future.');
    }

    if (expected.accessToken !== undefined) {
      const ath = createHash('sha256').update(expected.accessToken, 'ascii').digest('base64url');
      if (!(typeof payload.ath === 'string' && constantTimeEquals(payload.ath, ath))) {
        throw new DpopProofInvalid('The DPoP proof is not bound to this access token.');
      }
    }

    // No await between the replay check and the insert, so two concurrent verifications of one
    // proof cannot both pass.
    this.remember(`${jkt}:${payload.jti}`, this.options.now());
    return { jkt, jti: payload.jti };
  }

  /** The header key as jose imports it (public), and its RFC 7638 thumbprint; cached, see `keys`. */
  private async keyOf(jwk: JWK, alg: string): Promise<{ key: PublicKey; jkt: string }> {
    const id = `${alg} ${JSON.stringify(jwk)}`;
    const cached = this.keys.get(id);
    if (cached) {
      this.keys.delete(id);
      this.keys.set(id, cached);
      return cached;
    }
    let key: PublicKey;
    try {
      key = (await importJWK({ ...jwk, ext: true }, alg)) as PublicKey;
    } catch {
      throw new DpopProofInvalid('The DPoP proof carries a key that cannot be used.');
    }
    if (key.type !== 'public') throw new DpopProofInvalid('The DPoP proof must not carry a private key.');
    const entry = { key, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
    if (this.keys.size >= MAX_CACHED_KEYS) this.keys.delete(this.keys.keys().next().value!);
    this.keys.set(id, entry);
    return entry;
  }

  private remember(key: string, nowMs: number): void {
    this.evictExpired(nowMs);
    if (this.seen.has(key)) throw new DpopProofInvalid('The DPoP proof was already used.');
    if (this.seen.size >= this.replayCacheSize) {
      const oldestExpiry = this.seen.values().next().value ?? nowMs;
      throw new ServiceBusy(Math.max(1, (oldestExpiry - nowMs) / 1000));
    }
    this.seen.set(key, nowMs + this.replayWindowMs);
  }

  private evictExpired(nowMs: number): void {
    // Entries go in with a constant lifetime, so the first one expires first; a clock that stepped
    // back only keeps entries longer than needed, never shorter.
    for (const [key, expiresAt] of this.seen) {
      if (expiresAt > nowMs) break;
      this.seen.delete(key);
    }
  }
}

/**
 * The header's `jwk`, checked to be a public key of an allowed type before anything else uses it
 * (RFC 9449 §4.3 step 7: "does not contain a private key"; §4.2: `jwk` is required, so a `kid`
 * alone names no key). jose would refuse a private JWK too; refusing it here also keeps it out
 * of the thumbprint.
 */
const MAX_CACHED_KEYS = 10_000;

/** What jose's importJWK gives for a public asymmetric key. */
type PublicKey = webcrypto.CryptoKey;

function publicJwkOf(proof: string): { jwk: JWK; alg: string } {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw new DpopProofInvalid('The DPoP proof is not a valid signed dpop+jwt.');
  }
  const jwk: unknown = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk))
    throw new DpopProofInvalid('The DPoP proof must carry its public key as jwk.');
  const record = jwk as Record<string, unknown>;
  if (PRIVATE_JWK_MEMBERS.some((member) => member in record)) throw new DpopProofInvalid('The DPoP proof must not carry a private key.');
  const ecP256 = record.kty === 'EC' && record.crv === 'P-256' && header.alg === 'ES256';
  // "EdDSA" also names Ed448 (RFC 8037 §3.1); only Ed25519 is accepted, under either name (RFC 9864 §2.2).
  const ed25519 = record.kty === 'OKP' && record.crv === 'Ed25519' && (header.alg === 'EdDSA' || header.alg === 'Ed25519');
  if (!ecP256 && !ed25519) throw new DpopProofInvalid('The DPoP proof must be signed with ES256 or EdDSA (Ed25519).');
  return { jwk: record as JWK, alg: header.alg as string };
}

/** §4.3 step 12: `ath` compared without revealing how much of it matched. */
function constantTimeEquals(actual: string, expected: string): boolean {
  const a = Buffer.from(actual, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  if (a.length !== SHA256_BASE64URL_LENGTH || b.length !== SHA256_BASE64URL_LENGTH) return false;
  return timingSafeEqual(a, b);
}
