import { AccessDenied } from './access-denied.error.js';

/**
 * The DPoP proofs this process has accepted (RFC 9449 §11.1), each remembered for the core's
 * replay window (`dpopReplayWindowSeconds`, the same as the API's), so that none is accepted
 * twice. When full of proofs still inside the window, new ones are refused (503) rather than old
 * ones forgotten: forgetting would let whoever mints proofs fast enough flush the memory and then
 * replay a captured one. (The API shares its cache fairly between keys instead; a service that
 * verifies few devices' requests does not need that.)
 */
export class ReplayMemory {
  /** `jkt:jti` → when it may be forgotten (epoch ms); insertion order is expiry order. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly capacity: number,
    private readonly windowMs: number,
  ) {}

  /** @throws AccessDenied for a proof seen within the window, or `busy` when full */
  remember(key: string, nowMs: number): void {
    for (const [entry, expiresAt] of this.seen) {
      if (expiresAt > nowMs) break;
      this.seen.delete(entry);
    }
    if (this.seen.has(key)) throw new AccessDenied('invalid_dpop_proof', 'The DPoP proof was already used.', true);
    if (this.seen.size >= this.capacity) throw new AccessDenied('busy', 'Too many DPoP proofs at once; retry shortly.', true);
    this.seen.set(key, nowMs + this.windowMs);
  }
}
