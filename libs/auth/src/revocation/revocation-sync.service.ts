import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@app/platform';
import { DeviceRepository } from '@app/persistence';
import { RevocationSet } from './revocation-set.js';

/**
 * Re-reads rows this far behind the newest revocation seen, so that a revocation whose
 * statement read the database clock just before another's but committed after it is still
 * picked up.
 */
const OVERLAP_MS = 10_000;

/**
 * Brings this process's RevocationSet up to date from the database every
 * REVOCATION_SYNC_INTERVAL with one indexed query, so that a device revoked through any
 * process (the dashboard, another API process) is refused here within that interval.
 *
 * No app process's clock takes part: `revoked_at` is written by the database's clock, the
 * cursor is the newest `revoked_at` seen, and entries are pruned by the database's time of the
 * last answer. A host whose clock is minutes off neither hides others' revocations (by moving
 * everybody's cursor ahead) nor has its own missed (by writing times behind the cursor).
 */
@Injectable()
export class RevocationSyncService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RevocationSyncService.name);
  private timer: NodeJS.Timeout | undefined;
  /** The newest `revoked_at` seen (database time); null before the first answer. */
  private cursor: number | null = null;
  private syncing = false;

  constructor(
    private readonly config: AppConfig,
    private readonly devices: DeviceRepository,
    private readonly revocations: RevocationSet,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.sync();
    this.timer = setInterval(() => void this.sync(), this.config.revocationSyncInterval * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One round: fetch revocations newer than the cursor (less the overlap), prune the old. */
  async sync(): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    try {
      const since = this.cursor === null ? null : this.cursor - OVERLAP_MS;
      const { revoked, databaseNow } = await this.devices.findRevokedSince(since, this.revocations.retentionMs);
      for (const { id, revokedAt } of revoked) {
        this.revocations.add(id, revokedAt);
        if (this.cursor === null || revokedAt > this.cursor) this.cursor = revokedAt;
      }
      this.cursor ??= databaseNow - this.revocations.retentionMs;
      this.revocations.prune(databaseNow);
    } catch (error) {
      // The set keeps what it has; the next round retries. Only an outage gets here.
      this.logger.warn(`Revocation sync failed: ${(error as Error).message}`);
    } finally {
      this.syncing = false;
    }
  }
}
