import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { AppConfig, Clock, PeriodicTask } from '@app/platform';
import { KeyRing } from './key-ring.js';
import { SigningKeys } from './signing-keys.service.js';

/**
 * Keeps this process's KeyRing up to date: the keys are loaded before the app answers its first
 * request, then re-read every REVOCATION_SYNC_INTERVAL (which also adds each successor on
 * schedule) and at once when PostgreSQL announces a change (`changed`, wired to the revocation
 * channel), so a revoked key is refused here within the revocation spread.
 */
@Injectable()
export class SigningKeySync implements OnModuleInit, OnApplicationShutdown {
  private readonly task: PeriodicTask;

  constructor(
    config: AppConfig,
    private readonly keys: SigningKeys,
    private readonly ring: KeyRing,
    private readonly clock: Clock,
  ) {
    this.task = new PeriodicTask('sync signing keys', config.revocationSyncInterval * 1000, () => this.keys.sync(), SigningKeySync.name);
  }

  async onModuleInit(): Promise<void> {
    await this.keys.sync();
    // Fails the start (rather than every sign-in) when KEY_ENCRYPTION_SECRET does not open the key.
    this.ring.signingKey(this.clock.now());
    this.task.start();
  }

  onApplicationShutdown(): void {
    this.task.stop();
  }

  /** The keys changed elsewhere: read them now (and once more if a round was already under way, which may have read too early). */
  changed(): Promise<void> {
    return this.task.run().then(() => this.task.run());
  }
}
