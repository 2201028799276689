/**
 * A bounded map whose entries expire: each is stored with the time it stops being valid (epoch
 * ms, Infinity for never) and is never returned at or past it. Past `capacity` the oldest entry
 * (by insertion, or by last use with `lru`) makes room. Used for verified tokens (until their
 * `exp`), imported DPoP keys and the other memos of the rules.
 */
export class ExpiringCache<K, V> {
  private readonly entries = new Map<K, { readonly value: V; readonly expiresAt: number }>();

  constructor(
    readonly capacity: number,
    private readonly options: { readonly lru?: boolean } = {},
  ) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError('capacity must be a whole number >= 0');
  }

  /** The value stored under `key`, unless it expired at `nowMs` (it is dropped then). */
  get(key: K, nowMs: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (nowMs >= entry.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    if (this.options.lru) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry.value;
  }

  /** Stores `value` until `expiresAt` (epoch ms); with capacity 0, stores nothing. */
  set(key: K, value: V, expiresAt = Infinity): void {
    if (this.capacity === 0) return;
    if (!this.entries.delete(key) && this.entries.size >= this.capacity) {
      // Maps iterate in insertion order: the first key is the oldest (or least recently used) entry.
      this.entries.delete(this.entries.keys().next().value as K);
    }
    this.entries.set(key, { value, expiresAt });
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
