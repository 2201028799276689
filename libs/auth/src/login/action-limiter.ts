import { Injectable } from '@nestjs/common';
import { Clock, RateLimited, type RateLimit } from '@app/platform';
import { LoginAttemptRepository } from '@app/persistence';
import { hashLimiterKey, refusal } from './login-attempt-limiter.js';

/** At most one verification mail per account a minute (API.md § Accounts). */
export const VERIFICATION_MAIL_LIMIT: RateLimit = { max: 1, windowSeconds: 60 };
/** Reset mails per address, and forgot-password requests per client IP. */
export const PASSWORD_RESET_MAIL_LIMIT: RateLimit = { max: 3, windowSeconds: 60 * 60 };
export const FORGOT_PASSWORD_IP_LIMIT: RateLimit = { max: 20, windowSeconds: 15 * 60 };
/** Uses of mailed link tokens per client IP (a 256-bit token is not guessed; this keeps the endpoints quiet). */
export const LINK_TOKEN_IP_LIMIT: RateLimit = { max: 30, windowSeconds: 15 * 60 };
/** Email-change requests per account: each one mails two addresses. */
export const EMAIL_CHANGE_LIMIT: RateLimit = { max: 5, windowSeconds: 60 * 60 };
/**
 * Second-factor codes checked per account (sign-in, re-authentication, confirming an enrolment):
 * counted before each check, a right code taken back out, so these are wrong codes plus checks
 * in flight. Ten an hour leaves a 6-digit code (3 steps accepted) a chance of about 0.07 % a day.
 */
export const SECOND_FACTOR_LIMIT: RateLimit = { max: 10, windowSeconds: 60 * 60 };
/** The action SECOND_FACTOR_LIMIT counts, per account id. */
export const SECOND_FACTOR_ACTION = 'second-factor';

/**
 * Fixed-window limits on actions other than password checks (mails sent, link tokens used),
 * counted before the work in one atomic upsert per attempt (the login_attempts table, each key
 * hashed with its action), so a parallel burst on any number of processes gets exactly `max`
 * through per window.
 */
@Injectable()
export class ActionLimiter {
  constructor(
    private readonly clock: Clock,
    private readonly attempts: LoginAttemptRepository,
  ) {}

  /** Counts one `action` for each subject; throws RateLimited (429) when one of them is over `limit`. */
  async count(action: string, subjects: readonly string[], limit: RateLimit): Promise<void> {
    const retryAfterSeconds = await this.take(action, subjects, limit);
    if (retryAfterSeconds !== null) throw new RateLimited(retryAfterSeconds);
  }

  /** Counts one `action` for each subject; false when one of them is over `limit` (for work that is skipped, not refused). */
  async allows(action: string, subjects: readonly string[], limit: RateLimit): Promise<boolean> {
    return (await this.take(action, subjects, limit)) === null;
  }

  /** The counted action succeeded (a right code): it is taken back out of each subject's count. */
  async forgive(action: string, subjects: readonly string[]): Promise<void> {
    await this.attempts.uncount(
      subjects.map((subject) => hashLimiterKey(`${action}:${subject}`)),
      this.clock.now(),
    );
  }

  private async take(action: string, subjects: readonly string[], limit: RateLimit): Promise<number | null> {
    const now = this.clock.now();
    const keys = subjects.map((subject) => hashLimiterKey(`${action}:${subject}`));
    return refusal(await this.attempts.count(keys, now, limit.windowSeconds * 1000), limit.max, now);
  }
}
