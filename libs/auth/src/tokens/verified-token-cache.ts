import type { SessionClient } from '@app/persistence';

/** What a token's signature, algorithm, issuer, audience, `typ`, `kid` and claim types vouch for. */
export interface VerifiedClaims {
  readonly userId: string;
  readonly deviceId: string;
  /** `iat` and `exp`, epoch seconds. */
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly jkt: string | null;
  /** `auth_time`, epoch ms (0: absent). */
  readonly authTime: number;
  /** Which app's session the token was issued to (its `aud`). */
  readonly client: SessionClient;
}

/**
 * Enough for every token in use on one process at a time (each device holds one access token
 * for ACCESS_TOKEN_TTL); past it the oldest entry makes room, which costs a re-verification.
 */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/**
 * Tokens whose signature and static checks passed, keyed by the whole token string, so that
 * the next request with the same token skips the signature check (jsonwebtoken's verify was
 * the largest part of the guard's cost: BENCHMARKS.md, figure 1). Only what cannot change for
 * a given string is cached: expiry, maximum age and the revocation set are checked on every
 * request by the caller, and an entry is never used past its `exp` (it is dropped then).
 * Bounded in size; only tokens that verified are ever added, so forged ones cannot fill it.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, VerifiedClaims>();

  constructor(private readonly capacity = VERIFIED_TOKEN_CACHE_SIZE) {}

  /** The claims of a token verified before and not yet expired at `nowS` (epoch seconds). */
  get(token: string, nowS: number): VerifiedClaims | undefined {
    const claims = this.entries.get(token);
    if (claims !== undefined && nowS >= claims.expiresAt) {
      this.entries.delete(token);
      return undefined;
    }
    return claims;
  }

  add(token: string, claims: VerifiedClaims): void {
    if (this.entries.size >= this.capacity && !this.entries.has(token)) {
      // Maps iterate in insertion order: the first key is the oldest entry.
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(token, claims);
  }

  get size(): number {
    return this.entries.size;
  }
}
