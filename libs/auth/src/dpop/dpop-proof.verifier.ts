import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { createHash, timingSafeEqual, type webcrypto } from 'node:crypto';
import { DPOP_SIGNING_ALGORITHMS } from './dpop-algorithms.js';
import { DpopReplayCache } from './dpop-replay-cache.js';
import { DpopNonceRequired, DpopProofInvalid } from './dpop.errors.js';
import { normaliseHtu } from './htu.js';

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
 * freshnessFromNonce), counted from when it was first seen, in a bounded cache shared fairly
 * between the proofs' owners (DpopReplayCache). `verify` checks and remembers in one call;
 * `check` and `remember` apart let a caller remember a proof only once its request passed the
 * checks that cost nothing (a sign-in's rate limit), and name another owner than the key.
 *
 * One instance per process: replay detection is per process, as RFC 9449 §11.1 allows.
 */
export class DpopProofVerifier {
  private readonly replay: DpopReplayCache;
  /**
   * Imported public keys and their thumbprints, by the proof's encoded protected header exactly
   * as sent (the header holds `typ`, `alg` and `jwk`; a device sends the same one with every
   * proof). Importing the key (WebCrypto) and hashing it cost more than the signature check
   * itself (measured: ~210 + ~135 µs of ~730 µs per proof); keying by the encoded header also
   * spares decoding it a second time (jose decodes it too). An entry exists only for a header
   * whose `jwk` passed every check of `publicJwkOf` and imported as a public key; those checks
   * depend on nothing but the header, so they hold for every proof with the same one. jose still
   * checks each proof's `typ`, `alg` and signature. Bounded; the least recently used key goes first.
   */
  private readonly keys = new Map<string, KnownKey>();
  /** `normalisedUrl`'s memory: expected URL → its normal form (null: not an absolute http(s) URL). */
  private readonly urls = new Map<string, string | null>();
  /** `athOf`'s memory: access token → the `ath` of its proofs. */
  private readonly aths = new Map<string, string>();

  constructor(private readonly options: DpopProofVerifierOptions) {
    const { maxAgeSeconds, clockToleranceSeconds, replayCacheSize = DEFAULT_REPLAY_CACHE_SIZE } = options;
    if (!(maxAgeSeconds > 0) || !(clockToleranceSeconds >= 0))
      throw new RangeError('maxAgeSeconds must be > 0, clockToleranceSeconds >= 0');
    let windowSeconds = maxAgeSeconds + clockToleranceSeconds;
    if (options.freshnessFromNonce) {
      const lifetime = options.nonceLifetimeSeconds;
      if (lifetime === undefined || !(lifetime > 0)) throw new RangeError('freshnessFromNonce needs nonceLifetimeSeconds > 0');
      windowSeconds = Math.max(windowSeconds, lifetime + clockToleranceSeconds);
    }
    this.replay = new DpopReplayCache(replayCacheSize, windowSeconds * 1000);
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
    if (typeof proof !== 'string' || proof.length === 0) throw new DpopProofInvalid('A DPoP proof is required.');
    if (proof.length > MAX_PROOF_LENGTH) throw new DpopProofInvalid('The DPoP proof is too large.');
    const known = this.keyOf(proof);
    const { key, jkt } = known instanceof Promise ? await known : known;

    const nowMs = this.options.now();
    let payload: JWTPayload;
    try {
      // jose checks the signature by the header's key (imported above, public only), `typ`
      // (RFC 8725 §3.11), the `alg` allow-list (never `none` or a MAC, RFC 9449 §4.3 steps 4–6),
      // that the key fits the `alg`, and `crit`.
      ({ payload } = await jwtVerify(proof, key, {
        typ: 'dpop+jwt',
        algorithms: SIGNING_ALGORITHMS,
        currentDate: new Date(nowMs),
        clockTolerance: this.options.clockToleranceSeconds,
      }));
    } catch {
      throw new DpopProofInvalid('The DPoP proof is not a valid signed dpop+jwt.');
    }

    if (payload.htm !== expected.method) throw new DpopProofInvalid('The DPoP proof is for another HTTP method.');
    const expectedHtu = this.normalisedUrl(expected.url);
    if (expectedHtu === null) throw new TypeError('expected.url must be an absolute http(s) URL');
    // An htu spelled exactly as the expected URL normalises as it does (the usual case: the client
    // signs the URL it calls); any other spelling is normalised and compared.
    if (typeof payload.htu !== 'string' || (payload.htu !== expected.url && normaliseHtu(payload.htu) !== expectedHtu)) {
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
      if (!(typeof payload.ath === 'string' && constantTimeEquals(payload.ath, this.athOf(expected.accessToken)))) {
        throw new DpopProofInvalid('The DPoP proof is not bound to this access token.');
      }
    }

    return { jkt, jti: payload.jti };
  }

  /**
   * The header key as jose imports it (public), and its RFC 7638 thumbprint, by the proof's
   * encoded protected header (see `keys`): synchronous when known, so a known key costs no
   * decoding and no await.
   */
  private keyOf(proof: string): KnownKey | Promise<KnownKey> {
    const dot = proof.indexOf('.');
    const id = dot === -1 ? proof : proof.slice(0, dot);
    const known = this.keys.get(id);
    if (known === undefined) return this.importKey(id, proof);
    this.keys.delete(id);
    this.keys.set(id, known);
    return known;
  }

  private async importKey(id: string, proof: string): Promise<KnownKey> {
    const { jwk, alg } = publicJwkOf(proof);
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

  /**
   * The `ath` an access token's proofs must carry: base64url(SHA-256(token)), remembered per
   * token (a device presents one token for many requests). Bounded.
   */
  private athOf(accessToken: string): string {
    let ath = this.aths.get(accessToken);
    if (ath === undefined) {
      ath = createHash('sha256').update(accessToken, 'ascii').digest('base64url');
      if (this.aths.size >= MAX_CACHED_TOKENS) this.aths.clear();
      this.aths.set(accessToken, ath);
    }
    return ath;
  }

  /**
   * `normaliseHtu` of the expected URL, remembered: it is the server's own URL of a route (with
   * PUBLIC_URL, or else the request's Host), so the same few recur. Bounded in count and length.
   */
  private normalisedUrl(url: string): string | null {
    let normalised = this.urls.get(url);
    if (normalised === undefined) {
      normalised = normaliseHtu(url);
      if (url.length <= MAX_CACHED_URL_LENGTH) {
        if (this.urls.size >= MAX_CACHED_URLS) this.urls.clear();
        this.urls.set(url, normalised);
      }
    }
    return normalised;
  }
}

const MAX_CACHED_KEYS = 10_000;
const MAX_CACHED_URLS = 1_000;
const MAX_CACHED_URL_LENGTH = 512;
const MAX_CACHED_TOKENS = 4_096;
/** jose's `algorithms` option, made once (jose only reads it). */
const SIGNING_ALGORITHMS: string[] = [...DPOP_SIGNING_ALGORITHMS];

/** What jose's importJWK gives for a public asymmetric key. */
type PublicKey = webcrypto.CryptoKey;

interface KnownKey {
  readonly key: PublicKey;
  readonly jkt: string;
}

/**
 * The header's `jwk`, checked to be a public key of an allowed type before anything else uses it
 * (RFC 9449 §4.3 step 7: "does not contain a private key"; §4.2: `jwk` is required, so a `kid`
 * alone names no key). jose would refuse a private JWK too; refusing it here also keeps it out
 * of the thumbprint.
 */
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
