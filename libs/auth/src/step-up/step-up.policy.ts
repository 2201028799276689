import { Injectable } from '@nestjs/common';
import { AppConfig, Clock, type Actor } from '@app/platform';
import { StepUpRequired } from '../auth.errors.js';

/**
 * RFC 9470 step-up (API.md § Strong authentication): sensitive operations need the user to have
 * actively authenticated on the calling device within STEP_UP_MAX_AGE (the token's `auth_time`,
 * which a refresh never moves). The operation's service asks before it changes anything.
 */
@Injectable()
export class StepUpPolicy {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** Whether the actor authenticated recently enough (a little clock tolerance, as for tokens). */
  isRecent(actor: Actor): boolean {
    return actor.authTime > 0 && this.clock.now() - actor.authTime <= this.config.stepUpMaxAge * 1000;
  }

  /** Throws StepUpRequired (401, `insufficient_user_authentication`) unless the authentication is recent. */
  require(actor: Actor): void {
    if (!this.isRecent(actor)) throw new StepUpRequired(this.config.stepUpMaxAge, actor.keyBound);
  }
}
