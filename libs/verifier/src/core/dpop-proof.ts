import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { createHash, timingSafeEqual } from 'node:crypto';
import { CLOCK_TOLERANCE_SECONDS, DPOP_PROOF_MAX_AGE_SECONDS, type Now } from './clock.js';
import { DPOP_SIGNING_ALGORITHMS } from './dpop-algorithms.js';
import { invalidProof } from './errors.js';
import { ExpiringCache } from './expiring-cache.js';
import { normaliseHtu } from './htu.js';

export interface DpopProofRules {
  /** How old (by its `iat`) a proof may be, seconds (RFC 9449 §11.1; API.md DPOP_PROOF_MAX_AGE, default 60). */
  readonly maxAgeSeconds?: number;
  /** How far in the future a proof's `iat` may be, and the slack on `exp`/`nbf` if a proof has them (default 5). */
  readonly clockToleranceSeconds?: number;
  /** The clock, epoch ms (default Date.now). */
  readonly now?: Now;
}

/** The claims of a proof that passed the shape checks, as a freshness hook sees them. */
export interface DpopProofClaims extends JWTPayload {
  readonly htm: string;
  readonly htu: string;
  readonly jti: string;
  readonly iat: number;
}

export interface DpopProofExpectation {
  /** The request's method, compared case-sensitively (RFC 9449 §4.3 step 8, RFC 9110 §9.1). */
  readonly method: string;
  /** The request's absolute URL (http or https, no userinfo); query and fragment are ignored. */
  readonly url: string;
  /** The access token the request presents; the proof must then carry its `ath` (§4.3 step 12). */
  readonly accessToken?: string;
  /**
   * A caller's own freshness policy (the server's nonces, §8), run once the claims' shapes are
   * checked and before the proof's age is judged: it may throw to refuse the proof; true means
   * it vouches for the proof's freshness, so the `iat` window is not applied.
   */
  readonly freshness?: (claims: DpopProofClaims) => boolean;
}

export interface CheckedDpopProof {
  /** The RFC 7638 SHA-256 thumbprint of the proof's public key, base64url. */
  readonly jkt: string;
  readonly jti: string;
}

/** Far above any honest proof (a P-256 or Ed25519 proof is ~500 bytes), and bounds the parsing work. */
export const MAX_DPOP_PROOF_LENGTH = 8192;
export const MAX_DPOP_JTI_LENGTH = 128;
const SHA256_BASE64URL_LENGTH = 43;
/** Members that only a private (or symmetric) JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];
const MAX_CACHED_KEYS = 10_000;
const MAX_CACHED_URLS = 1_000;
const MAX_CACHED_URL_LENGTH = 512;
const MAX_CACHED_TOKENS = 4_096;
/** jose's `algorithms` option, made once (jose only reads it). */
const SIGNING_ALGORITHMS: string[] = [...DPOP_SIGNING_ALGORITHMS];

/**
 * How long a checked proof must be remembered for replay detection (RFC 9449 §11.1), seconds:
 * as long as it could still be accepted, counted from when it was first seen. A proof is
 * accepted while its `iat` is at most `maxAge` old and at most `tolerance` ahead, so one seen at
 * its earliest (`iat` = now + tolerance) stays acceptable `maxAge + tolerance`. When a caller
 * vouches for freshness another way (the server's nonces), as long as that lasts, plus the
 * tolerance. The server and the package both remember proofs for exactly this long.
 */
export function dpopReplayWindowSeconds(
  rules: Pick<DpopProofRules, 'maxAgeSeconds' | 'clockToleranceSeconds'>,
  freshnessLifetimeSeconds?: number,
): number {
  const maxAge = rules.maxAgeSeconds ?? DPOP_PROOF_MAX_AGE_SECONDS;
  const tolerance = rules.clockToleranceSeconds ?? CLOCK_TOLERANCE_SECONDS;
  const window = maxAge + tolerance;
  return freshnessLifetimeSeconds === undefined ? window : Math.max(window, freshnessLifetimeSeconds + tolerance);
}

interface KnownKey {
  readonly key: CryptoKey;
  readonly jkt: string;
}

/**
 * The DPoP proof rules (RFC 9449 §4.3, API.md § Device-bound tokens), every one but replay,
 * which is the caller's (the server's fair-share cache, the package's own): a compact JWS of at
 * most 8 KiB; a header `jwk` that is a public P-256 key for ES256 or Ed25519 key for EdDSA/Ed25519
 * (never a private or symmetric key, never `none` or a MAC); jose's `jwtVerify` with that key for
 * the signature, `typ: dpop+jwt`, the `alg` allow-list and `exp`/`nbf` if present; `htm` exactly
 * the method; `htu` the request's URL after normalisation (no userinfo); a string `jti` of 1–128
 * characters; a numeric `iat` at most `maxAge` old and at most the tolerance ahead (unless the
 * caller's freshness hook vouches for it); and, for a resource request, `ath` equal to the
 * token's hash, compared in constant time.
 *
 * Imported keys and their thumbprints are cached by the proof's encoded protected header exactly
 * as sent (a device sends the same one with every proof): importing and hashing the key costs
 * more than the signature check itself. An entry exists only for a header whose `jwk` passed
 * every header check and imported as a public key; those depend on nothing but the header.
 */
export class DpopProofChecker {
  private readonly keys = new ExpiringCache<string, KnownKey>(MAX_CACHED_KEYS, { lru: true });
  /** Expected URL → its normal form (null: not an absolute http(s) URL). */
  private readonly urls = new ExpiringCache<string, string | null>(MAX_CACHED_URLS);
  /** Access token → the `ath` of its proofs. */
  private readonly aths = new ExpiringCache<string, string>(MAX_CACHED_TOKENS);
  readonly maxAgeSeconds: number;
  readonly clockToleranceSeconds: number;
  private readonly now: Now;

  constructor(rules: DpopProofRules = {}) {
    this.maxAgeSeconds = rules.maxAgeSeconds ?? DPOP_PROOF_MAX_AGE_SECONDS;
    this.clockToleranceSeconds = rules.clockToleranceSeconds ?? CLOCK_TOLERANCE_SECONDS;
    if (!(this.maxAgeSeconds > 0) || !(this.clockToleranceSeconds >= 0))
      throw new RangeError('maxAgeSeconds must be > 0, clockToleranceSeconds >= 0');
    this.now = rules.now ?? Date.now;
  }

  /**
   * Every rule but replay (the caller remembers the returned `jkt:jti`).
   * @throws VerificationError `invalid_dpop_proof` for a missing, malformed or failing proof
   * @throws TypeError when `expected.url` is not an absolute http(s) URL (the caller's fault)
   */
  async check(proof: string | undefined, expected: DpopProofExpectation): Promise<CheckedDpopProof> {
    if (typeof proof !== 'string' || proof.length === 0) throw invalidProof('A DPoP proof is required.');
    if (proof.length > MAX_DPOP_PROOF_LENGTH) throw invalidProof('The DPoP proof is too large.');
    const known = this.keyOf(proof);
    const { key, jkt } = known instanceof Promise ? await known : known;

    const nowMs = this.now();
    let payload: JWTPayload;
    try {
      // jose checks the signature by the header's key (imported above, public only), `typ`
      // (RFC 8725 §3.11), the `alg` allow-list (RFC 9449 §4.3 steps 4–6), that the key fits the
      // `alg`, and `crit`.
      ({ payload } = await jwtVerify(proof, key, {
        typ: 'dpop+jwt',
        algorithms: SIGNING_ALGORITHMS,
        currentDate: new Date(nowMs),
        clockTolerance: this.clockToleranceSeconds,
      }));
    } catch {
      throw invalidProof('The DPoP proof is not a valid signed dpop+jwt.');
    }

    if (payload.htm !== expected.method) throw invalidProof('The DPoP proof is for another HTTP method.');
    const expectedHtu = this.normalisedUrl(expected.url);
    if (expectedHtu === null) throw new TypeError('expected.url must be an absolute http(s) URL');
    // An htu spelled exactly as the expected URL normalises as it does (the usual case: the client
    // signs the URL it calls); any other spelling is normalised and compared.
    if (typeof payload.htu !== 'string' || (payload.htu !== expected.url && normaliseHtu(payload.htu) !== expectedHtu)) {
      throw invalidProof('The DPoP proof is for another URL.');
    }
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > MAX_DPOP_JTI_LENGTH) {
      throw invalidProof('The DPoP proof needs a jti of at most 128 characters.');
    }
    if (typeof payload.iat !== 'number') throw invalidProof('The DPoP proof needs an iat.');

    const vouched = expected.freshness?.(payload as DpopProofClaims) === true;
    if (!vouched) {
      const ageSeconds = nowMs / 1000 - payload.iat;
      if (ageSeconds > this.maxAgeSeconds) throw invalidProof('The DPoP proof is too old.');
      if (-ageSeconds > this.clockToleranceSeconds) throw invalidProof('The DPoP proof is issued in the future.');
    }

    if (expected.accessToken !== undefined) {
      if (!(typeof payload.ath === 'string' && constantTimeEquals(payload.ath, this.athOf(expected.accessToken)))) {
        throw invalidProof('The DPoP proof is not bound to this access token.');
      }
    }
    return { jkt, jti: payload.jti };
  }

  /** The header key as jose imports it (public) and its thumbprint: synchronous when known. */
  private keyOf(proof: string): KnownKey | Promise<KnownKey> {
    const dot = proof.indexOf('.');
    const id = dot === -1 ? proof : proof.slice(0, dot);
    return this.keys.get(id, 0) ?? this.importKey(id, proof);
  }

  private async importKey(id: string, proof: string): Promise<KnownKey> {
    const { jwk, alg } = publicJwkOf(proof);
    let key: CryptoKey;
    try {
      key = (await importJWK({ ...jwk, ext: true }, alg)) as CryptoKey;
    } catch {
      throw invalidProof('The DPoP proof carries a key that cannot be used.');
    }
    if (key.type !== 'public') throw invalidProof('The DPoP proof must not carry a private key.');
    const entry = { key, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
    this.keys.set(id, entry);
    return entry;
  }

  /** base64url(SHA-256(token)), remembered per token (a device presents one token for many requests). */
  private athOf(accessToken: string): string {
    let ath = this.aths.get(accessToken, 0);
    if (ath === undefined) {
      ath = accessTokenHash(accessToken);
      this.aths.set(accessToken, ath);
    }
    return ath;
  }

  /** `normaliseHtu` of the expected URL, remembered (the same few recur). Bounded in count and length. */
  private normalisedUrl(url: string): string | null {
    let normalised = this.urls.get(url, 0);
    if (normalised === undefined) {
      normalised = normaliseHtu(url);
      if (url.length <= MAX_CACHED_URL_LENGTH) this.urls.set(url, normalised);
    }
    return normalised;
  }
}

/** RFC 9449 §4.2 `ath`: base64url SHA-256 of the access token's ASCII. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/**
 * The header's `jwk`, checked to be a public key of an allowed type before anything else uses it
 * (RFC 9449 §4.3 step 7: "does not contain a private key"; §4.2: `jwk` is required, so a `kid`
 * alone names no key). Refusing a private JWK here also keeps it out of the thumbprint.
 */
function publicJwkOf(proof: string): { jwk: JWK; alg: string } {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw invalidProof('The DPoP proof is not a valid signed dpop+jwt.');
  }
  const jwk: unknown = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw invalidProof('The DPoP proof must carry its public key as jwk.');
  const record = jwk as Record<string, unknown>;
  if (PRIVATE_JWK_MEMBERS.some((member) => member in record)) throw invalidProof('The DPoP proof must not carry a private key.');
  const ecP256 = record.kty === 'EC' && record.crv === 'P-256' && header.alg === 'ES256';
  // "EdDSA" also names Ed448 (RFC 8037 §3.1); only Ed25519 is accepted, under either name (RFC 9864 §2.2).
  const ed25519 = record.kty === 'OKP' && record.crv === 'Ed25519' && (header.alg === 'EdDSA' || header.alg === 'Ed25519');
  if (!ecP256 && !ed25519) throw invalidProof('The DPoP proof must be signed with ES256 or EdDSA (Ed25519).');
  return { jwk: record as JWK, alg: header.alg as string };
}

/** §4.3 step 12: `ath` compared without revealing how much of it matched. */
function constantTimeEquals(actual: string, expected: string): boolean {
  const a = Buffer.from(actual, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  if (a.length !== SHA256_BASE64URL_LENGTH || b.length !== SHA256_BASE64URL_LENGTH) return false;
  return timingSafeEqual(a, b);
}
