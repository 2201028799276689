import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, Clock, PeriodicTask } from '@app/platform';
import { DeviceRepository } from '@app/persistence';

/**
 * Keeps `lastSeenAt` honest without a database write per request: guarded requests only note
 * the time in memory, and the notes are written in one batch every LAST_SEEN_FLUSH_INTERVAL
 * (and at shutdown).
 */
@Injectable()
export class LastSeenRecorder implements OnApplicationBootstrap, OnApplicationShutdown {
  private pending = new Map<string, number>();
  private readonly task: PeriodicTask;

  constructor(
    config: AppConfig,
    private readonly clock: Clock,
    private readonly devices: DeviceRepository,
  ) {
    this.task = new PeriodicTask('record last activity', config.lastSeenFlushInterval * 1000, () => this.write(), LastSeenRecorder.name);
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.task.stop();
    await this.flush();
  }

  note(deviceId: string): void {
    this.pending.set(deviceId, this.clock.now());
  }

  /**
   * Writes what was noted since the last flush, after a write under way has ended (a failure is
   * logged; those notes are dropped).
   */
  flush(): Promise<void> {
    return this.task.runToCompletion();
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    await this.devices.recordLastSeen(batch);
  }
}
