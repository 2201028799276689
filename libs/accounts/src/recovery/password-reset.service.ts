import { Injectable, Logger } from '@nestjs/common';
import {
  ActionLimiter,
  FORGOT_PASSWORD_IP_LIMIT,
  LINK_TOKEN_IP_LIMIT,
  PASSWORD_RESET_MAIL_LIMIT,
  PasswordHasher,
  RevocationService,
} from '@app/auth';
import { AccountLinks, AccountMails } from '@app/mail';
import { NothingChanged, Transactions, UserRepository } from '@app/persistence';
import { AppConfig, Clock, anonymous, clientAddressOf, type RequestOrigin } from '@app/platform';
import { SecurityEventRecorder } from '@app/security-events';
import { LinkTokenInvalid } from '../link-token-invalid.error.js';

/**
 * "Forgot password?" (API.md § Accounts): a mailed link that sets a new password and ends every
 * session of the account, the attacker's included.
 */
@Injectable()
export class PasswordResetService {
  private readonly logger = new Logger(PasswordResetService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly users: UserRepository,
    private readonly links: AccountLinks,
    private readonly mails: AccountMails,
    private readonly transactions: Transactions,
    private readonly limiter: ActionLimiter,
    private readonly hasher: PasswordHasher,
    private readonly revocation: RevocationService,
    private readonly events: SecurityEventRecorder,
  ) {}

  /**
   * Counts the request per client IP and per address (429 past either, whether or not the
   * address has an account), then answers. The look-up and the mail happen after the answer
   * has left, so the answer takes the same time for an address with an account as for one
   * without and tells nothing.
   */
  async forgot(email: string, origin: RequestOrigin): Promise<void> {
    await this.limiter.count('forgot-password-ip', [clientAddressOf(origin)], FORGOT_PASSWORD_IP_LIMIT);
    await this.limiter.count('password-reset-mail', [email], PASSWORD_RESET_MAIL_LIMIT);
    setImmediate(() => {
      this.mailResetLink(email, origin).catch((error: unknown) =>
        // The error's name only: a driver's message can quote the statement's values (the address).
        this.logger.error(`Could not queue a password reset mail (${(error as Error).name})`),
      );
    });
  }

  /**
   * Sets the password from a mailed link: the link is spent and the password replaced in one
   * transaction (two uses of one link: one wins), the address counts as verified, and every
   * device of the account is revoked (its refresh answers `invalid_grant`, reason
   * `password_changed`). Does not sign in.
   */
  async reset(token: unknown, newPassword: string, origin: RequestOrigin): Promise<void> {
    const client = clientAddressOf(origin);
    await this.limiter.count('link-token', [client], LINK_TOKEN_IP_LIMIT);
    const link = await this.links.findUsable(token, 'password_reset', this.clock.now());
    // Checked before hashing: an unusable link costs no argon2 time.
    if (!link) throw new LinkTokenInvalid();
    const passwordHash = await this.hasher.hash(newPassword, client);
    const now = this.clock.now();
    try {
      await this.transactions.run([this.links.spend(link.id, now), this.users.resetPasswordStatement(link.userId, passwordHash, now)]);
    } catch (error) {
      if (error instanceof NothingChanged) throw new LinkTokenInvalid();
      throw error;
    }
    const by = anonymous(origin);
    // After the new hash: a sign-in that checked the old password ends itself (AuthService.endIfPasswordChanged).
    await this.revocation.revoke({ userId: link.userId }, 'password_changed', by);
    await this.events.record(by, { type: 'password_reset', userId: link.userId });
  }

  private async mailResetLink(email: string, origin: RequestOrigin): Promise<void> {
    const user = await this.users.findByEmail(email);
    if (!user || user.deletedAt !== null) return;
    await this.transactions.run(this.mails.passwordReset(user, this.clock.now(), this.config.accounts.passwordResetTtl * 1000));
    await this.events.record(anonymous(origin), { type: 'password_reset_requested', userId: user.id });
  }
}
