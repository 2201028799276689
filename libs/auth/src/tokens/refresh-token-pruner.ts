import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Clock, PeriodicTask } from '@app/platform';
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
  private readonly task = new PeriodicTask('prune expired refresh tokens', PRUNE_INTERVAL_MS, () => this.prune(), RefreshTokenPruner.name);

  constructor(
    private readonly clock: Clock,
    private readonly tokens: RefreshTokenRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onApplicationShutdown(): void {
    this.task.stop();
  }

  /** Deletes expired tokens; returns how many. */
  prune(): Promise<number> {
    return this.tokens.deleteExpiredBefore(this.clock.now());
  }
}
