import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '@app/platform';
import { RefreshTokenRepository } from '@app/persistence';

const PRUNE_INTERVAL_MS = 60 * 60_000;

/**
 * Every rotation leaves a spent row behind (reuse detection needs it), so without pruning
 * `refresh_tokens` grows by one row per refresh forever. Once a token's idle lifetime is over
 * it can no longer refresh, and a replay of it is refused as unknown instead of as theft; its
 * row (and the sealed successor in it) is deleted, hourly, by every process (the DELETE is
 * idempotent).
 */
@Injectable()
export class RefreshTokenPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RefreshTokenPruner.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly tokens: RefreshTokenRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.prune(), PRUNE_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Deletes expired tokens; returns how many. */
  async prune(): Promise<number> {
    try {
      return await this.tokens.deleteExpiredBefore(this.clock.now());
    } catch (error) {
      this.logger.warn(`Could not prune expired refresh tokens: ${(error as Error).message}`);
      return 0;
    }
  }
}
