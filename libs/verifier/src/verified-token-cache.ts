import type { DevicePrincipal } from './device-principal.js';

/**
 * Tokens whose signature and claims passed, keyed by the whole token string, so that the next
 * request with the same token skips the signature check (the bulk of the verifier's cost; a
 * device sends one access token for its whole lifetime). Only what cannot change for a given
 * string is cached: revocation and DPoP are judged on every request, and an entry is never
 * used at or past its `exp`. Bounded: past `capacity` the oldest entry makes room. Only tokens
 * that verified are added, so forged ones cannot fill it.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, DevicePrincipal>();

  constructor(private readonly capacity: number) {}

  get(token: string, nowMs: number): DevicePrincipal | undefined {
    const principal = this.entries.get(token);
    if (principal !== undefined && nowMs >= principal.expiresAt) {
      this.entries.delete(token);
      return undefined;
    }
    return principal;
  }

  add(token: string, principal: DevicePrincipal): void {
    if (this.capacity <= 0) return;
    if (this.entries.size >= this.capacity && !this.entries.has(token)) {
      // Maps iterate in insertion order: the first key is the oldest entry.
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(token, principal);
  }
}
