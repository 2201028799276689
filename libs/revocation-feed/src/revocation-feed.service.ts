import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { RevocationLogRepository, type LoggedRevocation, type RevocationLogPosition } from '@app/persistence';
import { ValidationFailed } from '@app/platform';
import { RevocationSet } from '@app/auth';
import { KeyRing } from '@app/keys';
import type { FeedCursor } from './revocation-feed-cursor.js';
import { comparePositions } from './revocation-feed-cursor.js';

/** Entries per answer at most (~150 bytes each); a follower continues from the cursor. */
export const FEED_PAGE_SIZE = 1000;
/** The longest a request may be held (API.md: `wait` ≤ 30 s). */
export const FEED_MAX_WAIT_SECONDS = 30;
/**
 * While requests are held, this process looks every RECHECK_MS (one indexed query, however
 * many are held) whether the log gained a readable entry, even if it heard of nothing: a
 * revocation made by another process reaches this one's RevocationSet only at its next sync
 * (or push), and on PostgreSQL a committed entry is readable only once every older transaction
 * has finished (see RevocationLogRepository).
 */
const RECHECK_MS = 250;

export interface RevocationFeedPage {
  readonly entries: LoggedRevocation[];
  /** Where the follower continues. */
  readonly next: RevocationLogPosition;
  /** How long after its revocation a device's access tokens may still be alive (ms). */
  readonly retentionMs: number;
  /** Signing keys revoked whose tokens may still be alive. */
  readonly revokedKeys: { kid: string; revokedAt: number }[];
  /** How many keys were ever revoked: the cursor carries it, so a held request answers when a key is revoked. */
  readonly revokedKeyCount: number;
}

/**
 * GET /revocations (API.md § Revocation outside the API): the devices revoked after a
 * position of the revocation log whose access tokens may still be alive, and long polling:
 * with `wait`, an empty answer is held until something new is logged or `wait` passes.
 * Held requests wake as soon as this process hears of a revocation (RevocationSet.onAdded) or
 * sees a new readable entry in the log (one shared look every RECHECK_MS while any is held),
 * and are let go at once when the app shuts down.
 */
@Injectable()
export class RevocationFeedService implements OnModuleDestroy {
  /** Bumped on every wake, so a revocation heard between a read and the wait is not slept through. */
  private generation = 0;
  private closing = false;
  /** Held requests: the log's newest mark when each last read it, and how to wake it. */
  private readonly waiters = new Set<{ readonly mark: string; readonly wake: () => void }>();
  private watcher: NodeJS.Timeout | undefined;
  private checking = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly log: RevocationLogRepository,
    private readonly revocations: RevocationSet,
    private readonly keys: KeyRing,
  ) {
    const devices = revocations.onAdded(() => this.wakeAll());
    const signingKeys = keys.onRevoked(() => this.wakeAll());
    this.unsubscribe = () => {
      devices();
      signingKeys();
    };
  }

  onModuleDestroy(): void {
    this.closing = true;
    this.unsubscribe();
    clearInterval(this.watcher);
    this.watcher = undefined;
    this.wakeAll();
  }

  /**
   * Revocations after `after` (all that may still matter when null), waiting up to
   * `waitSeconds` for one when there is none; `cancelled` ends the wait (the client left).
   */
  async read(cursor: FeedCursor | null, waitSeconds: number, cancelled: AbortSignal): Promise<RevocationFeedPage> {
    const deadline = performance.now() + waitSeconds * 1000;
    const after = cursor?.position ?? null;
    for (;;) {
      const seen = this.generation;
      const revokedKeyCount = this.keys.revokedCount;
      const page = await this.log.readAfter(after, this.revocations.retentionMs, FEED_PAGE_SIZE);
      if (after !== null && comparePositions(after, page.settled) > 0) {
        // Ahead of everything this log ever handed out: from another database, or one restored
        // from a backup. Its follower must start again, or it would never hear of anything.
        throw new ValidationFailed([{ field: 'after', message: 'is ahead of this feed; start again without a cursor' }]);
      }
      const remaining = deadline - performance.now();
      const newKeys = revokedKeyCount > (cursor?.revokedKeys ?? 0);
      if (page.entries.length > 0 || newKeys || remaining <= 0 || this.closing || cancelled.aborted) {
        // A full page continues after its last entry; otherwise everything up to `settled` has
        // been read or skipped as expired, and the follower need not look there again.
        const next = page.entries.length === FEED_PAGE_SIZE ? page.entries[page.entries.length - 1]!.position : page.settled;
        return {
          entries: page.entries,
          next,
          retentionMs: this.revocations.retentionMs,
          revokedKeys: this.keys.revokedKeys(Date.now()),
          revokedKeyCount,
        };
      }
      await this.sleep(remaining, seen, page.newest, cancelled);
    }
  }

  /** Until woken (a revocation heard of, a new readable entry, shutdown), `ms` pass, or the client leaves. */
  private sleep(ms: number, seenGeneration: number, mark: string, cancelled: AbortSignal): Promise<void> {
    if (this.generation !== seenGeneration || this.closing) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = {
        mark,
        wake: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          cancelled.removeEventListener('abort', waiter.wake);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, ms);
      this.waiters.add(waiter);
      cancelled.addEventListener('abort', waiter.wake, { once: true });
      if (this.watcher === undefined) {
        this.watcher = setInterval(() => void this.wakeOnNewEntries(), RECHECK_MS);
        this.watcher.unref();
      }
    });
  }

  /** One look at the log for everybody held; stops looking when nobody is. */
  private async wakeOnNewEntries(): Promise<void> {
    if (this.waiters.size === 0) {
      clearInterval(this.watcher);
      this.watcher = undefined;
      return;
    }
    if (this.checking) return;
    this.checking = true;
    try {
      const mark = await this.log.newestMark();
      for (const waiter of [...this.waiters]) if (waiter.mark !== mark) waiter.wake();
    } catch {
      // The database is out of reach: held requests answer at their deadline (or when woken).
    } finally {
      this.checking = false;
    }
  }

  private wakeAll(): void {
    this.generation++;
    for (const waiter of [...this.waiters]) waiter.wake();
  }
}
