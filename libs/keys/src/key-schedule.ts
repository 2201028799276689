/** What the schedule needs of a key: its order and times (epoch ms). */
export interface ScheduledKey {
  readonly kid: string;
  readonly generation: number;
  readonly createdAt: number;
  readonly activatesAt: number;
  readonly revokedAt: number | null;
}

export type KeyState = 'next' | 'current' | 'retired' | 'revoked';

export interface KeyStatus {
  readonly state: KeyState;
  /** When another key took over from it (it signs nothing after); null while it is next or current. */
  readonly supersededAt: number | null;
  /** When it leaves the key set: a retired key after its last token expired, a revoked one at once; null while next or current. */
  readonly unpublishedAt: number | null;
  /** Whether `/.well-known/jwks.json` lists it now. */
  readonly published: boolean;
}

export interface ScheduleSettings {
  /** How long a retired key stays published after its last use: ACCESS_TOKEN_TTL plus the clock tolerance (ms). */
  readonly retentionMs: number;
  /** How long before signing a key must have been published: JWKS_MAX_AGE plus the margin (ms). */
  readonly leadMs: number;
  /** JWT_KEY_ROTATION (ms). */
  readonly rotationMs: number;
}

/**
 * The key that signs at `now`: of the keys not revoked, the latest generation whose activation
 * has come. Decided by time alone, so every process picks the same key without talking to the
 * others (API.md § Signing keys).
 */
export function currentKey<K extends ScheduledKey>(keys: readonly K[], now: number): K | null {
  let current: K | null = null;
  for (const key of keys)
    if (key.revokedAt === null && key.activatesAt <= now && (current === null || key.generation > current.generation)) current = key;
  return current;
}

/** Each key's state at `now`. */
export function keyStatus(key: ScheduledKey, keys: readonly ScheduledKey[], now: number, settings: ScheduleSettings): KeyStatus {
  if (key.revokedAt !== null) return { state: 'revoked', supersededAt: null, unpublishedAt: key.revokedAt, published: false };
  if (key.activatesAt > now) return { state: 'next', supersededAt: null, unpublishedAt: null, published: true };
  // Superseded by the first later generation that signed: one activated and not revoked, or
  // revoked only after it had activated.
  let supersededAt: number | null = null;
  for (const other of keys) {
    if (other.generation <= key.generation || other.activatesAt > now) continue;
    if (other.revokedAt !== null && other.revokedAt <= other.activatesAt) continue;
    const at = Math.max(other.activatesAt, key.activatesAt);
    if (supersededAt === null || at < supersededAt) supersededAt = at;
  }
  if (supersededAt === null || currentKey(keys, now)?.kid === key.kid)
    return { state: 'current', supersededAt: null, unpublishedAt: null, published: true };
  const unpublishedAt = supersededAt + settings.retentionMs;
  return { state: 'retired', supersededAt, unpublishedAt, published: now < unpublishedAt };
}

/**
 * The key to add, if any, so that a successor is always published well ahead: when the newest
 * key (the latest generation not revoked) signs within `leadMs`, the next generation is added,
 * activating one rotation after it (and never sooner than `leadMs` from now). Without any key
 * that may sign, one signs at once.
 */
export function keyToAdd(
  keys: readonly ScheduledKey[],
  now: number,
  settings: ScheduleSettings,
): { generation: number; activatesAt: number } | null {
  const generation = keys.reduce((max, key) => Math.max(max, key.generation), 0) + 1;
  const live = keys.filter((key) => key.revokedAt === null);
  // No key may sign (a first start, or every key revoked): one signs at once.
  if (live.length === 0) return { generation, activatesAt: now };
  const newest = live.reduce((a, b) => (b.generation > a.generation ? b : a));
  if (newest.activatesAt > now + settings.leadMs) return null;
  return { generation, activatesAt: Math.max(newest.activatesAt + settings.rotationMs, now + settings.leadMs) };
}

/** The next key in line: the earliest generation, not revoked, whose activation is still to come. */
export function nextKey<K extends ScheduledKey>(keys: readonly K[], now: number): K | null {
  let next: K | null = null;
  for (const key of keys)
    if (key.revokedAt === null && key.activatesAt > now && (next === null || key.generation < next.generation)) next = key;
  return next;
}
