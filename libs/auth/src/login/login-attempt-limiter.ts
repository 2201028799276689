import { Injectable } from '@nestjs/common';
import { AppConfig, Clock, RateLimited } from '@app/platform';

interface Window {
  failures: number;
  resetAt: number;
}

const MAX_TRACKED_KEYS = 100_000;

/**
 * LOGIN_RATE_LIMIT: failed sign-ins allowed per email and per client IP in a fixed window;
 * past that, sign-ins for that email or from that IP get 429 until the window ends.
 * Counts live in this process's memory.
 */
@Injectable()
export class LoginAttemptLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** Throws RateLimited when the email or the IP has used up its failures. */
  assertAllowed(email: string, ip: string): void {
    const now = this.clock.now();
    let retryAfterMs = 0;
    for (const key of this.keys(email, ip)) {
      const window = this.windows.get(key);
      if (window && window.resetAt > now && window.failures >= this.config.loginRateLimit.max) {
        retryAfterMs = Math.max(retryAfterMs, window.resetAt - now);
      }
    }
    if (retryAfterMs > 0) throw new RateLimited(retryAfterMs / 1000);
  }

  recordFailure(email: string, ip: string): void {
    const now = this.clock.now();
    if (this.windows.size >= MAX_TRACKED_KEYS) this.dropExpired(now);
    for (const key of this.keys(email, ip)) {
      const window = this.windows.get(key);
      if (!window || window.resetAt <= now) {
        this.windows.set(key, { failures: 1, resetAt: now + this.config.loginRateLimit.windowSeconds * 1000 });
      } else {
        window.failures += 1;
      }
    }
  }

  /** A successful sign-in clears the email's count (not the IP's). */
  recordSuccess(email: string): void {
    this.windows.delete(`email:${email}`);
  }

  private keys(email: string, ip: string): [string, string] {
    return [`email:${email}`, `ip:${ip}`];
  }

  private dropExpired(now: number): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}
