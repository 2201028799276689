import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { PeriodicTask } from '@app/platform';
import { RevocationLogRepository } from '@app/persistence';
import { RevocationSet } from '@app/auth';

const PRUNE_INTERVAL_MS = 15 * 60_000;

/**
 * The revocation log gains a row per revoked device; once every access token of that device
 * has expired the feed no longer hands it out, and the row is deleted (by every API process,
 * at start and every 15 minutes: the DELETE is idempotent). Cursors stay valid: positions are
 * never reused.
 */
@Injectable()
export class RevocationLogPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly task = new PeriodicTask('prune the revocation log', PRUNE_INTERVAL_MS, () => this.prune(), RevocationLogPruner.name);

  constructor(
    private readonly log: RevocationLogRepository,
    private readonly revocations: RevocationSet,
  ) {}

  onApplicationBootstrap(): void {
    void this.task.run();
    this.task.start();
  }

  onApplicationShutdown(): void {
    this.task.stop();
  }

  /** Deletes the entries whose access tokens have all expired; returns how many. */
  prune(): Promise<number> {
    return this.log.deleteExpired(this.revocations.retentionMs);
  }
}
