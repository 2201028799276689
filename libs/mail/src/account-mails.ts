import { Injectable } from '@nestjs/common';
import type { BoundStatement } from '@app/persistence';
import { AccountLinks } from './links/account-links.js';
import { MailOutbox, MAIL_LINK_PATHS } from './outbox/mail-outbox.js';

/** How long a mailed verification link works (a reset link: PASSWORD_RESET_TTL; an email change: this too). */
export const EMAIL_LINK_TTL_MS = 24 * 60 * 60_000;

/** The account a mail is about. */
export interface MailedAccount {
  readonly id: string;
  readonly email: string;
}

/** A sign-in on a new device, as the alert tells it. */
export interface NewDeviceSignIn {
  readonly deviceName: string;
  readonly platform: string;
  readonly at: number;
  readonly ip: string | null;
}

/**
 * Every mail an account gets, as the statements that queue it (and issue its link): the caller
 * runs them in the transaction of the change that causes the mail (Transactions.run).
 */
@Injectable()
export class AccountMails {
  constructor(
    private readonly links: AccountLinks,
    private readonly outbox: MailOutbox,
  ) {}

  /** A link that verifies the account's address (older ones stop working). */
  verifyEmail(account: MailedAccount, now: number): BoundStatement[] {
    const link = this.links.issue(account.id, 'verify_email', now, EMAIL_LINK_TTL_MS);
    return [
      ...link.statements,
      this.outbox.queue(
        account.email,
        { kind: 'verify_email', link: this.outbox.link(MAIL_LINK_PATHS.verifyEmail, link.token) },
        account.id,
      ),
    ];
  }

  /** A link that sets a new password, valid `ttlMs` (older ones stop working). */
  passwordReset(account: MailedAccount, now: number, ttlMs: number): BoundStatement[] {
    const link = this.links.issue(account.id, 'password_reset', now, ttlMs);
    const content = {
      kind: 'password_reset',
      link: this.outbox.link(MAIL_LINK_PATHS.resetPassword, link.token),
      validMinutes: Math.round(ttlMs / 60_000),
    } as const;
    return [...link.statements, this.outbox.queue(account.email, content, account.id)];
  }

  /** To the new address: a link that makes it the account's; to the old one: a notice. */
  emailChange(account: MailedAccount, newEmail: string, now: number): BoundStatement[] {
    const link = this.links.issue(account.id, 'email_change', now, EMAIL_LINK_TTL_MS, newEmail);
    return [
      ...link.statements,
      this.outbox.queue(
        newEmail,
        { kind: 'email_change_confirm', link: this.outbox.link(MAIL_LINK_PATHS.confirmEmail, link.token) },
        account.id,
      ),
      this.outbox.queue(
        account.email,
        { kind: 'email_change_notice', newEmail, devicesLink: this.outbox.link(MAIL_LINK_PATHS.devices) },
        account.id,
      ),
    ];
  }

  /** To the owner of an address another account tried to move to: nothing changed, and how to recover. */
  emailTaken(owner: MailedAccount): BoundStatement[] {
    return [
      this.outbox.queue(owner.email, { kind: 'email_taken_notice', resetLink: this.outbox.link(MAIL_LINK_PATHS.forgotPassword) }, owner.id),
    ];
  }

  /** "New sign-in: <device>, <platform>, <time>, <IP>" with the devices page. */
  newDevice(account: MailedAccount, signIn: NewDeviceSignIn): BoundStatement[] {
    return [
      this.outbox.queue(
        account.email,
        {
          kind: 'new_device',
          deviceName: signIn.deviceName,
          platform: signIn.platform,
          at: `${new Date(signIn.at).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
          ip: signIn.ip ?? 'an unknown address',
          devicesLink: this.outbox.link(MAIL_LINK_PATHS.devices),
        },
        account.id,
      ),
    ];
  }
}
