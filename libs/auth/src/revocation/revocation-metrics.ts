import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsRegistry } from '@app/platform';
import type { RevocationReason } from '@app/persistence';
import { RevocationSet } from './revocation-set.js';
import { RevocationSyncService } from './revocation-sync.service.js';

/**
 * Revocation's metrics (`GET /metrics`): devices revoked by reason (reuse detections apart), and,
 * read only when scraped, the revocation set's size and how fresh its sync is.
 */
@Injectable()
export class RevocationMetrics {
  private readonly revocations: Counter<'reason'>;
  private readonly reuseDetections: Counter;

  constructor(registry: MetricsRegistry, revocationSet: RevocationSet, sync: RevocationSyncService) {
    this.revocations = registry.counter({
      name: 'auth_revocations_total',
      help: 'Devices revoked, by reason.',
      labelNames: ['reason'],
    });
    this.reuseDetections = registry.counter({
      name: 'auth_refresh_token_reuse_detected_total',
      help: 'Rotated refresh tokens presented again after the grace period: each one a possibly stolen token, its device revoked.',
    });
    registry.gauge({
      name: 'auth_revocation_set_size',
      help: 'Revoked devices this process refuses access tokens of (until their tokens have expired).',
      collect() {
        this.set(revocationSet.size);
      },
    });
    registry.gauge({
      name: 'auth_revocation_sync_last_success_timestamp_seconds',
      help: 'When this process last brought its revocation set up to date from the database (Unix time).',
      collect() {
        const at = sync.lastSyncedAt;
        this.set(at === null ? Number.NaN : at / 1000);
      },
    });
    registry.gauge({
      name: 'auth_revocation_sync_lag_seconds',
      help: 'Seconds since the last successful revocation sync: about REVOCATION_SYNC_INTERVAL when healthy, growing while the database is unreachable.',
      collect() {
        const at = sync.lastSyncedAt;
        this.set(at === null ? Number.NaN : Math.max(0, Date.now() - at) / 1000);
      },
    });
  }

  revoked(reason: RevocationReason, devices: number): void {
    this.revocations.inc({ reason }, devices);
    if (reason === 'refresh_token_reused') this.reuseDetections.inc();
  }
}
