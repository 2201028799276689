import { Injectable } from '@nestjs/common';
import { ActionLimiter, LINK_TOKEN_IP_LIMIT, VERIFICATION_MAIL_LIMIT } from '@app/auth';
import { AccountLinks, AccountMails } from '@app/mail';
import { NothingChanged, Transactions, UserRepository } from '@app/persistence';
import { Clock, anonymous, clientAddressOf, type Actor, type RequestOrigin } from '@app/platform';
import { SecurityEventRecorder } from '@app/security-events';
import { LinkTokenInvalid } from '../link-token-invalid.error.js';

/** Proving an account receives mail at its address (API.md § Accounts). */
@Injectable()
export class EmailVerificationService {
  constructor(
    private readonly clock: Clock,
    private readonly users: UserRepository,
    private readonly links: AccountLinks,
    private readonly mails: AccountMails,
    private readonly transactions: Transactions,
    private readonly limiter: ActionLimiter,
    private readonly events: SecurityEventRecorder,
  ) {}

  /** Mails a new link (the older ones stop working): one a minute per account, counted first; nothing for a verified address. */
  async request(actor: Actor): Promise<void> {
    await this.limiter.count('verification-mail', [actor.userId], VERIFICATION_MAIL_LIMIT);
    const user = await this.users.findById(actor.userId);
    if (!user || user.deletedAt !== null || user.emailVerifiedAt !== null) return;
    await this.transactions.run(this.mails.verifyEmail(user, this.clock.now()));
  }

  /** Spends the link and marks the address verified; any unusable token answers LinkTokenInvalid and changes nothing. */
  async verify(token: unknown, origin: RequestOrigin): Promise<void> {
    await this.limiter.count('link-token', [clientAddressOf(origin)], LINK_TOKEN_IP_LIMIT);
    const now = this.clock.now();
    const link = await this.links.findUsable(token, 'verify_email', now);
    if (!link) throw new LinkTokenInvalid();
    try {
      await this.transactions.run([this.links.spend(link.id, now), this.users.markEmailVerifiedStatement(link.userId, now)]);
    } catch (error) {
      if (error instanceof NothingChanged) throw new LinkTokenInvalid();
      throw error;
    }
    await this.events.record(anonymous(origin), { type: 'email_verified', userId: link.userId });
  }
}
