import { Injectable } from '@nestjs/common';
import { ActionLimiter, EMAIL_CHANGE_LIMIT, EmailTaken, hashLimiterKey, LINK_TOKEN_IP_LIMIT, RevocationService } from '@app/auth';
import { AccountLinks, AccountMails } from '@app/mail';
import {
  AccountTokenRepository,
  DeviceRepository,
  isUniqueViolation,
  LoginAttemptRepository,
  MailOutboxRepository,
  MfaChallengeRepository,
  NothingChanged,
  PasskeyChallengeRepository,
  PasskeyRepository,
  SecondFactorRepository,
  SecurityEventRepository,
  Transactions,
  UserRepository,
} from '@app/persistence';
import { Clock, anonymous, clientAddressOf, type Actor, type RequestOrigin } from '@app/platform';
import { SecurityEventRecorder } from '@app/security-events';
import { DeviceNotFound } from '../device-not-found.error.js';
import { LinkTokenInvalid } from '../link-token-invalid.error.js';

/** `GET /account` (API.md § Accounts). */
export interface AccountView {
  readonly id: string;
  readonly email: string;
  readonly emailVerified: boolean;
  readonly createdAt: string;
  readonly passkeys: number;
  readonly totp: boolean;
}

/** The signed-in account itself: what it is, its address, and closing it. */
@Injectable()
export class AccountService {
  constructor(
    private readonly clock: Clock,
    private readonly users: UserRepository,
    private readonly devices: DeviceRepository,
    private readonly events: SecurityEventRepository,
    private readonly accountTokens: AccountTokenRepository,
    private readonly mailOutbox: MailOutboxRepository,
    private readonly loginAttempts: LoginAttemptRepository,
    private readonly links: AccountLinks,
    private readonly mails: AccountMails,
    private readonly transactions: Transactions,
    private readonly limiter: ActionLimiter,
    private readonly revocation: RevocationService,
    private readonly recorder: SecurityEventRecorder,
    private readonly passkeys: PasskeyRepository,
    private readonly passkeyChallenges: PasskeyChallengeRepository,
    private readonly secondFactors: SecondFactorRepository,
    private readonly mfaChallenges: MfaChallengeRepository,
  ) {}

  async get(actor: Actor): Promise<AccountView> {
    const user = await this.users.findById(actor.userId);
    if (!user || user.deletedAt !== null) throw new DeviceNotFound();
    return {
      id: user.id,
      email: user.email,
      emailVerified: user.emailVerifiedAt !== null,
      createdAt: new Date(user.createdAt).toISOString(),
      passkeys: await this.passkeys.countForUser(user.id),
      totp: await this.secondFactors.isEnabled(user.id),
    };
  }

  /**
   * Mails a confirmation link to `newEmail` and a notice to the current address; nothing
   * changes until the link is used. An address that already has an account gets a notice
   * instead, and the caller the same answer (no enumeration).
   */
  async requestEmailChange(actor: Actor, newEmail: string): Promise<void> {
    await this.limiter.count('email-change', [actor.userId], EMAIL_CHANGE_LIMIT);
    const user = await this.users.findById(actor.userId);
    if (!user || user.deletedAt !== null) throw new DeviceNotFound();
    if (newEmail === user.email) return;
    const owner = await this.users.findByEmail(newEmail);
    const now = this.clock.now();
    await this.transactions.run(owner ? this.mails.emailTaken(owner) : this.mails.emailChange(user, newEmail, now));
    await this.recorder.record(actor, { type: 'email_change_requested', userId: user.id });
  }

  /**
   * Makes the link's new address the account's, verified. Every other pending link of the
   * account dies with the old address. Other devices stay signed in.
   */
  async confirmEmailChange(token: unknown, origin: RequestOrigin): Promise<void> {
    await this.limiter.count('link-token', [clientAddressOf(origin)], LINK_TOKEN_IP_LIMIT);
    const now = this.clock.now();
    const link = await this.links.findUsable(token, 'email_change', now);
    if (!link || link.newEmail === null) throw new LinkTokenInvalid();
    try {
      await this.transactions.run([
        this.links.spend(link.id, now),
        this.users.changeEmailStatement(link.userId, link.newEmail, now),
        this.accountTokens.spendAllOfUserStatement(link.userId, now),
      ]);
    } catch (error) {
      if (error instanceof NothingChanged) throw new LinkTokenInvalid();
      // Someone registered the address after the link was mailed.
      if (isUniqueViolation(error)) throw new EmailTaken();
      throw error;
    }
    await this.recorder.record(anonymous(origin), { type: 'email_changed', userId: link.userId });
  }

  /**
   * Closes the account: every device revoked (their refresh answers reason `revoked`; services
   * outside still see the revocations in the feed), then, in one transaction, its personal data
   * erased (address, password hash, devices' names, addresses and user agents, security events,
   * pending links and mails, passkeys, sign-in counts) and the row kept as a tombstone of ids, so the
   * address can register again. The spent refresh tokens stay (hashes), so a stolen one still
   * answers `revoked` until the pruner ends it. The `account_deleted` event stays, without personal data.
   */
  async delete(actor: Actor): Promise<void> {
    const user = await this.users.findById(actor.userId);
    if (!user || user.deletedAt !== null) throw new DeviceNotFound();
    await this.revocation.revoke({ userId: user.id }, 'revoked', actor);
    const now = this.clock.now();
    await this.transactions.run([
      this.accountTokens.deleteForUserStatement(user.id),
      this.passkeys.deleteForUserStatement(user.id),
      this.passkeyChallenges.deleteForUserStatement(user.id),
      this.mailOutbox.deleteForUserStatement(user.id),
      this.events.deleteForUserStatement(user.id),
      ...this.secondFactors.deleteForUserStatements(user.id),
      this.mfaChallenges.deleteForUserStatement(user.id),
      this.loginAttempts.deleteKeysStatement([hashLimiterKey(`email:${user.email}`)]),
      this.devices.scrubStatement(user.id),
      this.users.tombstoneStatement(user.id, now),
    ]);
    // Who and when, nothing more: no address, no user agent.
    await this.recorder.record({ ...actor, ip: null, userAgent: null }, { type: 'account_deleted', userId: user.id });
  }
}
