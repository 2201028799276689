import { Injectable } from '@nestjs/common';
import { MailOutboxRepository, type BoundStatement } from '@app/persistence';
import { AppConfig } from '@app/platform';
import { MailTemplates, type MailContent } from '../templates/mail-templates.js';

/** The dashboard pages mailed links open (API.md § Accounts; the dashboard serves them). */
export const MAIL_LINK_PATHS = {
  verifyEmail: '/verify-email',
  resetPassword: '/reset-password',
  confirmEmail: '/confirm-email',
  forgotPassword: '/forgot-password',
  devices: '/devices',
} as const;

/**
 * Turns a mail into the statement that queues it, to run in the transaction of the change that
 * causes it (the outbox pattern): the mail is sent later, by MailSender, and never on the path
 * of the request that queued it.
 */
@Injectable()
export class MailOutbox {
  constructor(
    private readonly config: AppConfig,
    private readonly templates: MailTemplates,
    private readonly outbox: MailOutboxRepository,
  ) {}

  /** The INSERT that queues `content` for `to`; `userId`: the account it concerns (its mails go with it). */
  queue(to: string, content: MailContent, userId: string | null): BoundStatement {
    const mail = this.templates.render(to, content);
    return this.outbox.queueStatement({ userId, recipient: to, subject: mail.subject, text: mail.text, html: mail.html });
  }

  /** An absolute dashboard link, with a link token when given. */
  link(path: (typeof MAIL_LINK_PATHS)[keyof typeof MAIL_LINK_PATHS], token?: string): string {
    const url = new URL(`${this.config.dashboardUrl}${path}`);
    if (token !== undefined) url.searchParams.set('token', token);
    return url.href;
  }
}
