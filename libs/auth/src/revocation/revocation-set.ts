import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/platform';

/** Kept a little past the access-token lifetime, for tokens signed in the same instant. */
const RETENTION_SLACK_MS = 60_000;

/**
 * The ids of devices revoked within the last access-token lifetime: the only thing the
 * guard consults besides the token itself. An access token of a device revoked earlier than
 * that has expired anyway, so entries drop out and memory stays bounded.
 */
@Injectable()
export class RevocationSet {
  private readonly revokedAt = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  readonly retentionMs: number;

  constructor(config: AppConfig) {
    this.retentionMs = config.accessTokenTtl * 1000 + RETENTION_SLACK_MS;
  }

  has(deviceId: string): boolean {
    return this.revokedAt.has(deviceId);
  }

  add(deviceId: string, revokedAt: number): void {
    const known = this.revokedAt.has(deviceId);
    this.revokedAt.set(deviceId, revokedAt);
    if (!known) for (const listener of this.listeners) listener();
  }

  /**
   * Calls `listener` whenever a device new to the set is added (this process revoked it, or
   * heard of it from the sync or the push), so the revocation feed's long polls answer at once.
   * Returns the unsubscribe function.
   */
  onAdded(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Drops entries whose access tokens have all expired by `now`. */
  prune(now: number): void {
    const cutoff = now - this.retentionMs;
    for (const [deviceId, revokedAt] of this.revokedAt) {
      if (revokedAt < cutoff) this.revokedAt.delete(deviceId);
    }
  }

  get size(): number {
    return this.revokedAt.size;
  }
}
