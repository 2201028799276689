import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, PeriodicTask } from '@app/platform';
import { DeviceRepository, RevocationChannel } from '@app/persistence';
import { SigningKeySync } from '@app/keys';
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
 * process (the dashboard, another API process) is refused here within that interval. On
 * PostgreSQL the RevocationChannel also pushes each revocation as it commits (LISTEN/NOTIFY),
 * so it is refused here within milliseconds; the periodic read stays as the safety net for a
 * lost connection, and catches up at once when the channel reconnects.
 *
 * No app process's clock takes part: `revoked_at` is written by the database's clock, the
 * cursor is the newest `revoked_at` seen, and entries are pruned by the database's time of the
 * last answer. A host whose clock is minutes off neither hides others' revocations (by moving
 * everybody's cursor ahead) nor has its own missed (by writing times behind the cursor).
 */
@Injectable()
export class RevocationSyncService implements OnApplicationBootstrap, OnApplicationShutdown {
  /** The newest `revoked_at` seen (database time); null before the first answer. */
  private cursor: number | null = null;
  /** When (this host's ms) a round last succeeded, for the metrics; null before the first. */
  private syncedAt: number | null = null;
  private readonly task: PeriodicTask;

  constructor(
    config: AppConfig,
    private readonly devices: DeviceRepository,
    private readonly revocations: RevocationSet,
    private readonly channel: RevocationChannel,
    private readonly signingKeys: SigningKeySync,
  ) {
    // The set keeps what it has when a round fails (only an outage does); the next one retries.
    this.task = new PeriodicTask(
      'sync revocations',
      config.revocationSyncInterval * 1000,
      () => this.readNewRevocations(),
      RevocationSyncService.name,
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    // Push first (PostgreSQL), so that nothing revoked between the first read and the
    // LISTEN is missed; then the first full read; the periodic rounds stay as the safety net.
    await this.channel.listen({
      revoked: (deviceId, revokedAt) => this.revocations.add(deviceId, revokedAt),
      // A key added, rotated or revoked anywhere: this process re-reads the keys at once.
      keysChanged: () => void this.signingKeys.changed(),
      reconnected: () => {
        void this.sync();
        void this.signingKeys.changed();
      },
    });
    await this.sync();
    this.task.start();
  }

  onApplicationShutdown(): void {
    this.task.stop();
  }

  get lastSyncedAt(): number | null {
    return this.syncedAt;
  }

  /** One round now (see readNewRevocations). */
  sync(): Promise<void> {
    return this.task.run();
  }

  /** Fetches revocations newer than the cursor (less the overlap) and prunes the old. */
  private async readNewRevocations(): Promise<void> {
    const since = this.cursor === null ? null : this.cursor - OVERLAP_MS;
    const { revoked, databaseNow } = await this.devices.findRevokedSince(since, this.revocations.retentionMs);
    for (const { id, revokedAt } of revoked) {
      this.revocations.add(id, revokedAt);
      if (this.cursor === null || revokedAt > this.cursor) this.cursor = revokedAt;
    }
    this.cursor ??= databaseNow - this.revocations.retentionMs;
    this.revocations.prune(databaseNow);
    this.syncedAt = Date.now();
  }
}
