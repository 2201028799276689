import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsRegistry, RateLimited, ServiceBusy } from '@app/platform';
import type { RevocationReason } from '@app/persistence';
import { InvalidCredentials, RefreshTokenRejected } from '../auth.errors.js';
import { DpopNonceRequired, DpopProofInvalid } from '../dpop/dpop.errors.js';
import { PasswordHasher } from '../passwords/password-hasher.js';
import { RevocationSet } from '../revocation/revocation-set.js';
import { RevocationSyncService } from '../revocation/revocation-sync.service.js';

/**
 * What an operator watches of auth, as Prometheus metrics (`GET /metrics` on the API). Outcomes
 * are counted where they are decided; the sizes (revocation set, hashing queue, sync age) are
 * read only when scraped, so the request paths pay for counters and nothing else.
 */
@Injectable()
export class AuthMetrics {
  private readonly signIns: Counter<'outcome'>;
  private readonly refreshes: Counter<'outcome'>;
  private readonly reuseDetections: Counter;
  private readonly dpopRejections: Counter<'error'>;
  private readonly revocations: Counter<'reason'>;

  constructor(registry: MetricsRegistry, revocationSet: RevocationSet, sync: RevocationSyncService, hasher: PasswordHasher) {
    this.signIns = registry.counter({
      name: 'auth_sign_ins_total',
      help: 'Sign-ins by outcome: success, invalid_credentials, rate_limited, busy, dpop_rejected, error.',
      labelNames: ['outcome'],
    });
    this.refreshes = registry.counter({
      name: 'auth_refreshes_total',
      help: 'Refresh-token requests by outcome: success, an invalid_grant reason (reused, revoked, expired, ...), invalid_dpop_proof, use_dpop_nonce, invalid_request, error.',
      labelNames: ['outcome'],
    });
    this.reuseDetections = registry.counter({
      name: 'auth_refresh_token_reuse_detected_total',
      help: 'Rotated refresh tokens presented again after the grace period: each one a possibly stolen token, its device revoked.',
    });
    this.dpopRejections = registry.counter({
      name: 'auth_dpop_rejections_total',
      help: 'DPoP proofs refused (missing, invalid, wrong key), or refused for want of a server nonce (use_dpop_nonce).',
      labelNames: ['error'],
    });
    this.revocations = registry.counter({
      name: 'auth_revocations_total',
      help: 'Devices revoked, by reason.',
      labelNames: ['reason'],
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
    registry.gauge({
      name: 'auth_password_hash_queue_depth',
      help: 'Password hashes and verifications waiting for a core (PASSWORD_QUEUE_LIMIT caps it; then 503).',
      collect() {
        this.set(hasher.queueDepth);
      },
    });
  }

  /** Counts a sign-in by how it ended: `error` undefined for a success. */
  signIn(error?: unknown): void {
    this.signIns.inc({ outcome: error === undefined ? 'success' : signInOutcome(error) });
  }

  refresh(error?: unknown): void {
    this.refreshes.inc({ outcome: error === undefined ? 'success' : refreshOutcome(error) });
  }

  revoked(reason: RevocationReason, devices: number): void {
    this.revocations.inc({ reason }, devices);
    if (reason === 'refresh_token_reused') this.reuseDetections.inc();
  }

  dpopRejected(error: unknown): void {
    if (error instanceof DpopNonceRequired) this.dpopRejections.inc({ error: 'use_dpop_nonce' });
    else if (error instanceof DpopProofInvalid) this.dpopRejections.inc({ error: 'invalid_dpop_proof' });
  }

  /**
   * A key-bound access token refused at a guarded route for want of its key: a valid proof by
   * another key, or the token sent as Bearer (`error` label `invalid_token`). Either is someone
   * holding a bound token without the device's key.
   */
  boundTokenWithoutKey(): void {
    this.dpopRejections.inc({ error: 'invalid_token' });
  }
}

function signInOutcome(error: unknown): string {
  if (error instanceof InvalidCredentials) return 'invalid_credentials';
  if (error instanceof RateLimited) return 'rate_limited';
  if (error instanceof ServiceBusy) return 'busy';
  if (error instanceof DpopProofInvalid || error instanceof DpopNonceRequired) return 'dpop_rejected';
  return 'error';
}

function refreshOutcome(error: unknown): string {
  if (error instanceof RefreshTokenRejected) return error.reason;
  if (error instanceof DpopNonceRequired) return 'use_dpop_nonce';
  if (error instanceof DpopProofInvalid) return 'invalid_dpop_proof';
  if (error instanceof ServiceBusy || error instanceof RateLimited) return 'busy';
  if ((error as { category?: unknown }).category === 'invalid_input') return 'invalid_request';
  return 'error';
}
