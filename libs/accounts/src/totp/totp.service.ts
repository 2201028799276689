import { Injectable } from '@nestjs/common';
import { ActionLimiter, SECOND_FACTOR_ACTION, SECOND_FACTOR_LIMIT, SecondFactor } from '@app/auth';
import { MfaChallengeRepository, NothingChanged, SecondFactorRepository, Transactions, UserRepository } from '@app/persistence';
import { Clock, type Actor } from '@app/platform';
import { SecurityEventRecorder } from '@app/security-events';
import { DeviceNotFound } from '../device-not-found.error.js';
import { TotpAlreadyEnabled, TotpCodeIncorrect, TotpNotEnabled, TotpNotPending } from './totp.errors.js';

/** `POST /account/totp`: the secret, shown once (inactive until confirmed). */
export interface TotpEnrolment {
  readonly secret: string;
  readonly otpauthUrl: string;
}

/**
 * The account's TOTP second factor (API.md § Strong authentication): enrol (step-up), confirm
 * with a first code (then the recovery codes are handed out, once), turn off (step-up).
 */
@Injectable()
export class TotpService {
  constructor(
    private readonly clock: Clock,
    private readonly users: UserRepository,
    private readonly factors: SecondFactorRepository,
    private readonly challenges: MfaChallengeRepository,
    private readonly secondFactor: SecondFactor,
    private readonly limiter: ActionLimiter,
    private readonly transactions: Transactions,
    private readonly events: SecurityEventRecorder,
  ) {}

  /** A new secret, stored encrypted and inactive; it replaces an unconfirmed one. 409 when TOTP is on. */
  async enrol(actor: Actor): Promise<TotpEnrolment> {
    const user = await this.users.findById(actor.userId);
    if (!user || user.deletedAt !== null) throw new DeviceNotFound();
    const { secret, sealed, otpauthUrl } = this.secondFactor.newSecret(user.id, user.email);
    if (!(await this.factors.enrol(user.id, sealed, this.clock.now()))) throw new TotpAlreadyEnabled();
    return { secret, otpauthUrl };
  }

  /**
   * Turns the pending enrolment on with its first code (counted per account before the check,
   * like a sign-in's code) and answers ten new recovery codes, the only time they are shown.
   * The code's time step is spent, so the same code cannot then sign in.
   */
  async confirm(actor: Actor, code: string): Promise<{ recoveryCodes: string[] }> {
    const factor = await this.factors.findFactor(actor.userId);
    if (!factor || factor.confirmedAt !== null) throw new TotpNotPending();
    await this.limiter.count(SECOND_FACTOR_ACTION, [actor.userId], SECOND_FACTOR_LIMIT);
    const step = await this.secondFactor.matchingStep(actor.userId, factor.secretCiphertext, code.trim(), null);
    if (step === null) throw new TotpCodeIncorrect();
    await this.limiter.forgive(SECOND_FACTOR_ACTION, [actor.userId]);
    const { codes, hashes } = this.secondFactor.newRecoveryCodes();
    const now = this.clock.now();
    try {
      // Only the enrolment whose secret was checked: a newer one that replaced it meanwhile stays pending.
      await this.transactions.run([
        this.factors.confirmStatement(actor.userId, factor.secretCiphertext, step, now),
        ...this.factors.replaceRecoveryCodesStatements(actor.userId, hashes, now),
      ]);
    } catch (error) {
      if (error instanceof NothingChanged) throw new TotpNotPending();
      throw error;
    }
    await this.events.record(actor, { type: 'totp_enabled', userId: actor.userId });
    return { recoveryCodes: codes };
  }

  /** Removes the factor (or a pending enrolment), its recovery codes and the sign-ins waiting for a code. */
  async disable(actor: Actor): Promise<void> {
    const factor = await this.factors.findFactor(actor.userId);
    if (!factor) throw new TotpNotEnabled();
    await this.transactions.run([
      ...this.factors.deleteForUserStatements(actor.userId),
      this.challenges.deleteForUserStatement(actor.userId),
    ]);
    if (factor.confirmedAt !== null) await this.events.record(actor, { type: 'totp_disabled', userId: actor.userId });
  }
}
