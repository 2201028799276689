import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, Clock } from '@app/platform';
import { DeviceRepository } from '@app/persistence';
import { RevocationSet } from './revocation-set.js';

/**
 * Re-reads rows this far behind the newest revocation seen, so that a revocation written by
 * a process whose clock runs a little behind, or committed late, is still picked up.
 */
const OVERLAP_MS = 10_000;

/**
 * Brings this process's RevocationSet up to date from the database every
 * REVOCATION_SYNC_INTERVAL with one indexed query, so that a device revoked through any
 * process (the dashboard, another API process) is refused here within that interval.
 */
@Injectable()
export class RevocationSyncService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RevocationSyncService.name);
  private timer: NodeJS.Timeout | undefined;
  private cursor = 0;
  private syncing = false;

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly devices: DeviceRepository,
    private readonly revocations: RevocationSet,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.cursor = this.clock.now() - this.revocations.retentionMs;
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
      const rows = await this.devices.findRevokedSince(this.cursor - OVERLAP_MS);
      for (const { id, revokedAt } of rows) {
        this.revocations.add(id, revokedAt);
        if (revokedAt > this.cursor) this.cursor = revokedAt;
      }
      this.revocations.prune(this.clock.now());
    } catch (error) {
      // The set keeps what it has; the next round retries. Only an outage gets here.
      this.logger.warn(`Revocation sync failed: ${(error as Error).message}`);
    } finally {
      this.syncing = false;
    }
  }
}
