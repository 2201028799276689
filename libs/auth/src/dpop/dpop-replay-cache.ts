import { RateLimited } from '@app/platform';
import { DpopProofInvalid } from './dpop.errors.js';

/** How many owners' worth of full shares the cache holds: an owner may fill at most 1/16 of it. */
const SHARES = 16;

interface Entry {
  readonly owner: string;
  readonly expiresAt: number;
}

interface Owner {
  /** This owner's remembered proofs, oldest first (so also soonest to expire). */
  readonly keys: string[];
  /** Set when its proofs were forgotten to make room: until then all its proofs are refused. */
  blockedUntil: number;
}

/**
 * The proofs a process has seen (RFC 9449 §11.1), each remembered for `windowMs` (as long as it
 * could still be accepted), so that none is accepted twice. Bounded, and shared fairly: every
 * proof has an owner (its key's thumbprint; for a sign-in, whose key is anyone's to make, the
 * client's network), and
 * - an owner holds at most `capacity / 16` proofs at once; past that share its proofs are refused
 *   with RateLimited (429, Retry-After until its oldest one expires), and nobody else notices;
 * - when the whole cache is full (at least 16 owners at their share, or many smaller ones), room
 *   is made by forgetting every proof of the owner that holds the most, and that owner is then
 *   refused (429) until the last of the forgotten proofs would have expired anyway, so none of
 *   them can be replayed; an owner that holds as many as anyone else is refused instead.
 * So one client can never make everyone's proofs fail (the old cache answered 503 to every key
 * once full), and forgetting opens no replay by the owner that was forgotten: for resource
 * requests and refreshes, whose owner is the proof's own key, no replay at all. (A sign-in proof
 * forgotten that way could be replayed from another network within its window; that sign-in
 * still needs the password, and its tokens are bound to the proof's key, which the replayer
 * lacks.) Memory: see BENCHMARKS.md (replay cache at its cap).
 */
export class DpopReplayCache {
  /** Proof key → its entry; insertion order is expiry order (every entry lives `windowMs`). */
  private readonly seen = new Map<string, Entry>();
  private readonly owners = new Map<string, Owner>();
  readonly shareOfOwner: number;

  constructor(
    readonly capacity: number,
    private readonly windowMs: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    if (!(windowMs > 0)) throw new RangeError('windowMs must be > 0');
    this.shareOfOwner = Math.max(1, Math.ceil(capacity / SHARES));
  }

  /** Proofs remembered now. */
  size(nowMs: number): number {
    this.evictExpired(nowMs);
    return this.seen.size;
  }

  /**
   * Remembers a proof that passed every other check; synchronous, so two concurrent requests
   * with one proof cannot both pass.
   * @throws DpopProofInvalid when the proof was seen within the window
   * @throws RateLimited when its owner is over its share, or refused for the window (see above)
   */
  remember(owner: string, proofKey: string, nowMs: number): void {
    this.evictExpired(nowMs);
    if (this.seen.has(proofKey)) throw new DpopProofInvalid('The DPoP proof was already used.');
    let state = this.owners.get(owner);
    if (state && state.blockedUntil > nowMs) throw refusal(state.blockedUntil, nowMs);
    if (state && state.keys.length >= this.shareOfOwner) throw refusal(this.seen.get(state.keys[0])!.expiresAt, nowMs);
    if (this.seen.size >= this.capacity) this.makeRoom(state, nowMs);
    if (!state) {
      state = { keys: [], blockedUntil: 0 };
      this.owners.set(owner, state);
    }
    state.keys.push(proofKey);
    this.seen.set(proofKey, { owner, expiresAt: nowMs + this.windowMs });
  }

  /** Forgets every proof of the owner holding the most, and refuses that owner until they would have expired. */
  private makeRoom(requester: Owner | undefined, nowMs: number): void {
    let heaviest: Owner | undefined;
    for (const [name, state] of this.owners) {
      if (state.keys.length === 0 && state.blockedUntil <= nowMs) this.owners.delete(name);
      else if (!heaviest || state.keys.length > heaviest.keys.length) heaviest = state;
    }
    const requesterHolds = requester?.keys.length ?? 0;
    if (!heaviest || heaviest.keys.length === 0 || heaviest.keys.length <= requesterHolds) {
      throw refusal(requester?.keys.length ? this.seen.get(requester.keys[0])!.expiresAt : nowMs + this.windowMs, nowMs);
    }
    const newest = this.seen.get(heaviest.keys[heaviest.keys.length - 1])!;
    for (const key of heaviest.keys) this.seen.delete(key);
    heaviest.keys.length = 0;
    heaviest.blockedUntil = newest.expiresAt;
  }

  private evictExpired(nowMs: number): void {
    // Entries go in with a constant lifetime, so the first one expires first; a clock that stepped
    // back only keeps entries longer than needed, never shorter.
    for (const [key, entry] of this.seen) {
      if (entry.expiresAt > nowMs) break;
      this.seen.delete(key);
      const state = this.owners.get(entry.owner);
      if (state?.keys[0] !== key) continue;
      state.keys.shift();
      if (state.keys.length === 0 && state.blockedUntil <= nowMs) this.owners.delete(entry.owner);
    }
  }
}

function refusal(until: number, nowMs: number): RateLimited {
  return new RateLimited(Math.max(1, Math.ceil((until - nowMs) / 1000)));
}
