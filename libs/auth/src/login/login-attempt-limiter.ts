import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AppConfig, Clock, PeriodicTask, RateLimited } from '@app/platform';
import { LoginAttemptRepository, type AttemptWindow } from '@app/persistence';

const CLEANUP_INTERVAL_MS = 15 * 60_000;

/**
 * LOGIN_RATE_LIMIT: password checks allowed per email and per client IP in a fixed window;
 * past that, sign-ins (and current-password checks) for that email or from that IP get 429
 * until the window ends.
 *
 * An attempt is counted **before** its password is checked, by one atomic upsert that returns
 * the new counts, and refused over the limit without hashing. Of any burst, however parallel
 * and across however many processes, at most the limit's number of password checks run in a
 * window. A successful check is taken back out of the count, so the counts are failures plus
 * checks in flight.
 *
 * The counts live in the database, so they hold across API processes: one upsert per attempt
 * (under 1 ms on SQLite, a few ms on PostgreSQL, next to the ~50 ms of argon2id), and no
 * extra service (Redis would be one) for the README's two-command start.
 */
@Injectable()
export class LoginAttemptLimiter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly cleanup = new PeriodicTask(
    'clean up login attempts',
    CLEANUP_INTERVAL_MS,
    () => this.attempts.deleteClosed(this.clock.now()),
    LoginAttemptLimiter.name,
  );

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly attempts: LoginAttemptRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.cleanup.start();
  }

  onApplicationShutdown(): void {
    this.cleanup.stop();
  }

  /**
   * Counts one password check for the account's email and the client's IP; throws RateLimited
   * when either has used up its window (the attempt is then not to be made).
   */
  async count(email: string, ip: string): Promise<void> {
    const now = this.clock.now();
    const windows = await this.attempts.count(this.keys(email, ip), now, this.config.loginRateLimit.windowSeconds * 1000);
    const retryAfterSeconds = refusal(windows, this.config.loginRateLimit.max, now);
    if (retryAfterSeconds !== null) throw new RateLimited(retryAfterSeconds);
  }

  /** The password was right: the counted attempt was no failure. */
  async forgive(email: string, ip: string): Promise<void> {
    await this.attempts.uncount(this.keys(email, ip), this.clock.now());
  }

  /**
   * Counts one sign-in whose account is not known before its check (a passkey assertion) on the
   * client IP's window only, the same window password sign-ins count on; throws RateLimited
   * when it is used up.
   */
  async countAddress(ip: string): Promise<void> {
    const now = this.clock.now();
    const windows = await this.attempts.count([this.addressKey(ip)], now, this.config.loginRateLimit.windowSeconds * 1000);
    const retryAfterSeconds = refusal(windows, this.config.loginRateLimit.max, now);
    if (retryAfterSeconds !== null) throw new RateLimited(retryAfterSeconds);
  }

  /** The sign-in counted by countAddress succeeded. */
  async forgiveAddress(ip: string): Promise<void> {
    await this.attempts.uncount([this.addressKey(ip)], this.clock.now());
  }

  private addressKey(ip: string): string {
    return hashLimiterKey(`ip:${ip}`);
  }

  private keys(email: string, ip: string): string[] {
    return [hashLimiterKey(`email:${email}`), this.addressKey(ip)];
  }
}

/**
 * The limiter's arithmetic, on the counts just taken (this attempt included): null when every
 * key is within `max`, else how long until the last of the exceeded windows ends (seconds).
 */
export function refusal(windows: readonly AttemptWindow[], max: number, now: number): number | null {
  const over = windows.filter((window) => window.attempts > max);
  return over.length === 0 ? null : Math.max(...over.map((window) => window.windowEndsAt - now)) / 1000;
}

/** Keys are stored hashed: no addresses or emails at rest. */
export function hashLimiterKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
