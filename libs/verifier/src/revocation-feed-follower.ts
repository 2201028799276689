export interface RevocationFeedOptions {
  /** The feed's URL: `<API base URL>/revocations`. */
  readonly url: string | URL;
  /** REVOCATION_FEED_TOKEN, the secret shared with the API. */
  readonly token: string;
  /** Long-poll hold, seconds (the API allows up to 30). Default 25. */
  readonly waitSeconds?: number;
  /**
   * Longest time without a successful answer from the feed before the revocation state counts
   * as unknown, seconds. Default 60; at least `waitSeconds` + 10.
   */
  readonly maxStalenessSeconds?: number;
  /**
   * What to do with tokens while the revocation state is unknown (before the first answer, or
   * after `maxStalenessSeconds` without one): `'refuse'` (default: fail closed, 503) or
   * `'accept'` (fail open: tokens of devices revoked meanwhile stay good until they expire).
   */
  readonly whenStale?: 'refuse' | 'accept';
  /** First and longest delay between attempts after a failure, ms. Default 250 and 10 000. */
  readonly retryDelayMs?: { readonly first: number; readonly max: number };
}

export interface FeedFollowerEnvironment {
  readonly fetch: typeof fetch;
  /** Wall clock, epoch ms: entries are forgotten after their `until` by it. */
  readonly now: () => number;
  readonly clockToleranceSeconds: number;
  readonly onError: (error: Error) => void;
}

interface FeedAnswer {
  revoked: { deviceId: string; until: string }[];
  /** Signing keys revoked (servers before key management do not send it). */
  revokedKeys?: { kid: string; revokedAt: string }[];
  cursor: string;
}

/**
 * A round that came back quicker than this is not repeated at once unless its page was full:
 * a proxy that does not hold requests, or a feed that keeps answering, must not make this a
 * busy loop. It delays hearing of a revocation that follows another by at most this long.
 */
const MIN_ROUND_MS = 250;
/** The API answers at most this many entries at once; a full page is followed at once. */
const FEED_PAGE_SIZE = 1000;

/**
 * Follows `GET /revocations` (API.md § Revocation outside the API): one long poll after
 * another, the cursor kept in memory, back-off on errors. Holds the revoked devices whose
 * access tokens may still be alive, each until its `until` (plus the clock tolerance).
 */
export class RevocationFeedFollower {
  private readonly revokedUntil = new Map<string, number>();
  /** The signing keys the feed lists as revoked, as of its last answer. */
  private revokedKeys = new Set<string>();
  private cursor: string | null = null;
  /** performance.now() when the last successful request was sent: we are in sync as of then. */
  private syncedAt: number | null = null;
  private readonly controller = new AbortController();
  private readonly loop: Promise<void>;
  private markReady!: () => void;
  private readonly readyPromise = new Promise<void>((resolve) => (this.markReady = resolve));
  private readonly waitSeconds: number;
  private readonly maxStalenessMs: number;
  private readonly retry: { readonly first: number; readonly max: number };

  constructor(
    private readonly options: RevocationFeedOptions,
    private readonly environment: FeedFollowerEnvironment,
  ) {
    this.waitSeconds = options.waitSeconds ?? 25;
    if (!Number.isInteger(this.waitSeconds) || this.waitSeconds < 0 || this.waitSeconds > 30)
      throw new RangeError('feed.waitSeconds must be a whole number from 0 to 30');
    const maxStaleness = options.maxStalenessSeconds ?? 60;
    if (!(maxStaleness >= this.waitSeconds + 10)) throw new RangeError('feed.maxStalenessSeconds must be at least waitSeconds + 10');
    this.maxStalenessMs = maxStaleness * 1000;
    this.retry = options.retryDelayMs ?? { first: 250, max: 10_000 };
    this.loop = this.follow();
  }

  /** Resolves once the feed has answered once (the set then holds every revocation that matters). */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  /** True when the feed lists the signing key as revoked (an emergency): its tokens are refused. */
  isKeyRevoked(kid: string): boolean {
    return this.revokedKeys.has(kid);
  }

  /** True when the device was revoked and its access tokens may still be alive. */
  isRevoked(deviceId: string): boolean {
    const until = this.revokedUntil.get(deviceId);
    if (until === undefined) return false;
    if (this.environment.now() <= until) return true;
    this.revokedUntil.delete(deviceId);
    return false;
  }

  /** True while the revocation state is known: the feed answered within maxStaleness. */
  get current(): boolean {
    return this.syncedAt !== null && performance.now() - this.syncedAt <= this.maxStalenessMs;
  }

  /** Whether tokens are refused while the state is unknown. */
  get failsClosed(): boolean {
    return (this.options.whenStale ?? 'refuse') === 'refuse';
  }

  /** Devices currently held. */
  get size(): number {
    return this.revokedUntil.size;
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.loop;
  }

  private async follow(): Promise<void> {
    let delay = this.retry.first;
    const { signal } = this.controller;
    while (!signal.aborted) {
      // The first request answers at once, so that ready() resolves quickly.
      const wait = this.syncedAt === null ? 0 : this.waitSeconds;
      const sentAt = performance.now();
      try {
        const answer = await this.request(wait);
        if (answer === 'restart') {
          this.cursor = null;
          continue;
        }
        this.apply(answer);
        this.syncedAt = sentAt;
        this.markReady();
        delay = this.retry.first;
        const elapsed = performance.now() - sentAt;
        if (answer.revoked.length < FEED_PAGE_SIZE && elapsed < MIN_ROUND_MS) await pause(MIN_ROUND_MS - elapsed, signal);
      } catch (error) {
        if (signal.aborted) return;
        this.environment.onError(error as Error);
        await pause(delay * (0.5 + Math.random() / 2), signal);
        delay = Math.min(delay * 2, this.retry.max);
      }
    }
  }

  private async request(wait: number): Promise<FeedAnswer | 'restart'> {
    const url = new URL(this.options.url);
    if (this.cursor !== null) url.searchParams.set('after', this.cursor);
    if (wait > 0) url.searchParams.set('wait', String(wait));
    // A held request that outlives its wait by this much is given up on (a dead connection).
    const timeout = AbortSignal.timeout((wait + 10) * 1000);
    const response = await this.environment.fetch(url, {
      headers: { authorization: `Bearer ${this.options.token}`, accept: 'application/json' },
      signal: AbortSignal.any([this.controller.signal, timeout]),
    });
    if (response.status === 400 && this.cursor !== null) {
      // The cursor is not this feed's (its database was replaced or restored): start over.
      await response.body?.cancel();
      return 'restart';
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`revocation feed answered ${response.status}${response.status === 401 ? ' (wrong feed token?)' : ''}`);
    }
    const body = (await response.json()) as unknown;
    if (!isFeedAnswer(body)) throw new Error('revocation feed answered something that is not a feed page');
    return body;
  }

  private apply(answer: FeedAnswer): void {
    const toleranceMs = this.environment.clockToleranceSeconds * 1000;
    for (const { deviceId, until } of answer.revoked) {
      const untilMs = Date.parse(until) + toleranceMs;
      if (!Number.isFinite(untilMs)) continue;
      this.revokedUntil.set(deviceId, Math.max(untilMs, this.revokedUntil.get(deviceId) ?? 0));
    }
    if (Array.isArray(answer.revokedKeys)) this.revokedKeys = new Set(answer.revokedKeys.map((key) => key.kid));
    this.cursor = answer.cursor;
    const now = this.environment.now();
    for (const [deviceId, until] of this.revokedUntil) if (until < now) this.revokedUntil.delete(deviceId);
  }
}

function isFeedAnswer(value: unknown): value is FeedAnswer {
  if (typeof value !== 'object' || value === null) return false;
  const { revoked, cursor, revokedKeys } = value as Partial<FeedAnswer>;
  return (
    typeof cursor === 'string' &&
    (revokedKeys === undefined ||
      (Array.isArray(revokedKeys) &&
        revokedKeys.every((entry) => typeof entry === 'object' && entry !== null && typeof entry.kid === 'string'))) &&
    Array.isArray(revoked) &&
    revoked.every(
      (entry) => typeof entry === 'object' && entry !== null && typeof entry.deviceId === 'string' && typeof entry.until === 'string',
    )
  );
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
