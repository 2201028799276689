import { createHmac, timingSafeEqual } from 'node:crypto';

export interface DpopNoncesOptions {
  /** Shared by every process that must accept the others' nonces; at least 32 bytes. */
  readonly key: Buffer;
  /** How long one nonce is current, in seconds; a nonce is accepted for one to two windows. */
  readonly windowSeconds: number;
  /** The server's clock, epoch milliseconds. */
  readonly now: () => number;
}

const WINDOW_BYTES = 8;
const MAC_BYTES = 32;
/** 40 bytes in unpadded base64url. */
const NONCE_LENGTH = Math.ceil(((WINDOW_BYTES + MAC_BYTES) * 8) / 6);
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Domain separation, so this key's MACs can never be confused with another use of the same key. */
const LABEL = 'device-auth dpop-nonce v1\0';

/**
 * Server-issued DPoP nonces (RFC 9449 §8, §9) that need no storage: a nonce is the number of the
 * current time window and an HMAC of it, base64url(window as 8-byte big-endian || HMAC-SHA256(key,
 * label || window)). Any process with the key issues and checks the same nonces, so one nonce is
 * good at every endpoint and every process. It carries the server's time: a valid nonce proves
 * the proof was made at most {@link lifetimeSeconds} ago by the server's clock, whatever the
 * device's clock says, which is what `DpopProofVerifier`'s freshnessFromNonce relies on.
 *
 * The current and the previous window are accepted, so a nonce issued just before a rotation
 * still works for at least one full window; a window is `windowSeconds` long.
 */
export class DpopNonces {
  constructor(private readonly options: DpopNoncesOptions) {
    if (options.key.length < 32) throw new RangeError('The DPoP nonce key must be at least 32 bytes');
    if (!Number.isInteger(options.windowSeconds) || options.windowSeconds < 1)
      throw new RangeError('windowSeconds must be a positive integer');
  }

  /** The longest a nonce is accepted after it is issued (two windows). */
  get lifetimeSeconds(): number {
    return 2 * this.options.windowSeconds;
  }

  current(): string {
    const window = this.windowAt(this.options.now());
    const encoded = Buffer.alloc(WINDOW_BYTES);
    encoded.writeBigUInt64BE(window);
    return Buffer.concat([encoded, this.mac(encoded)]).toString('base64url');
  }

  /** Accepts a nonce of the current or the previous window; anything else, malformed included, is false. */
  isValid(nonce: unknown): boolean {
    if (typeof nonce !== 'string' || nonce.length !== NONCE_LENGTH || !BASE64URL.test(nonce)) return false;
    const bytes = Buffer.from(nonce, 'base64url');
    // Only the canonical encoding: unused trailing bits would otherwise give one nonce many spellings.
    if (bytes.length !== WINDOW_BYTES + MAC_BYTES || bytes.toString('base64url') !== nonce) return false;
    const encoded = bytes.subarray(0, WINDOW_BYTES);
    const window = encoded.readBigUInt64BE();
    const current = this.windowAt(this.options.now());
    if (window !== current && window !== current - 1n) return false;
    return timingSafeEqual(bytes.subarray(WINDOW_BYTES), this.mac(encoded));
  }

  private windowAt(nowMs: number): bigint {
    return BigInt(Math.floor(nowMs / 1000 / this.options.windowSeconds));
  }

  private mac(encodedWindow: Buffer): Buffer {
    return createHmac('sha256', this.options.key).update(LABEL).update(encodedWindow).digest();
  }
}
