import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { AppConfig, Clock, RateLimited } from '@app/platform';

interface Window {
  attempts: number;
  resetAt: number;
}

const MAX_TRACKED_IPS = 100_000;

/**
 * REGISTER_RATE_LIMIT on `POST /auth/register`: attempts per client IP in a fixed window,
 * counted before validation, whatever their outcome. Each valid attempt costs an argon2id
 * hash, and mass sign-ups are the first step of most abuse. Past the limit: RateLimited
 * (429 with Retry-After). Counts live in this process's memory.
 *
 * Not @nestjs/throttler's guard: that package is CommonJS requiring the ESM-only
 * @nestjs/common, which Jest's ESM mode cannot load before Node 24.9; and this one takes its
 * time from the injectable Clock, like the login limiter.
 */
@Injectable()
export class RegistrationRateLimitGuard implements CanActivate {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const ip = context.switchToHttp().getRequest<{ ip?: string }>().ip ?? 'unknown';
    const now = this.clock.now();
    let window = this.windows.get(ip);
    if (!window || window.resetAt <= now) {
      this.makeRoom(now);
      window = { attempts: 0, resetAt: now + this.config.registerRateLimit.windowSeconds * 1000 };
      this.windows.set(ip, window);
    }
    if (window.attempts >= this.config.registerRateLimit.max) throw new RateLimited((window.resetAt - now) / 1000);
    window.attempts += 1;
    return true;
  }

  /** Bounded memory: expired windows go first, then the oldest (a Map keeps insertion order). */
  private makeRoom(now: number): void {
    if (this.windows.size < MAX_TRACKED_IPS) return;
    for (const [ip, window] of this.windows) if (window.resetAt <= now) this.windows.delete(ip);
    if (this.windows.size >= MAX_TRACKED_IPS) this.windows.delete(this.windows.keys().next().value!);
  }
}
