import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, Clock } from '@app/platform';
import { DeviceRepository } from '@app/persistence';

/**
 * Keeps `lastSeenAt` honest without a database write per request: guarded requests only note
 * the time in memory, and the notes are written in one batch every LAST_SEEN_FLUSH_INTERVAL
 * (and at shutdown).
 */
@Injectable()
export class LastSeenRecorder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LastSeenRecorder.name);
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly devices: DeviceRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), this.config.lastSeenFlushInterval * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  note(deviceId: string): void {
    this.pending.set(deviceId, this.clock.now());
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.devices.recordLastSeen(batch);
    } catch (error) {
      this.logger.warn(`Could not record last activity: ${(error as Error).message}`);
    }
  }
}
