import { Module } from '@nestjs/common';
import { AppConfig } from '@app/platform';
import { AccountMails } from './account-mails.js';
import { AccountLinks } from './links/account-links.js';
import { MailOutbox } from './outbox/mail-outbox.js';
import { MailSender } from './outbox/mail-sender.js';
import { MailTemplates } from './templates/mail-templates.js';
import { FileMailTransport } from './transport/file-mail.transport.js';
import { MailTransport } from './transport/mail-transport.js';
import { SmtpMailTransport } from './transport/smtp-mail.transport.js';

/** Mail: the outbox (queued in a change's transaction, sent in the background), its templates and transport, and the links mails carry. */
@Module({
  providers: [
    { provide: MailTemplates, inject: [AppConfig], useFactory: (config: AppConfig) => new MailTemplates(config.appName) },
    {
      provide: MailTransport,
      inject: [AppConfig],
      useFactory: ({ mail }: AppConfig): MailTransport =>
        mail.smtpUrl
          ? new SmtpMailTransport(mail.smtpUrl, mail.from, mail.sendTimeout * 1000)
          : new FileMailTransport(mail.directory, mail.from),
    },
    MailOutbox,
    MailSender,
    AccountLinks,
    AccountMails,
  ],
  exports: [AccountMails, AccountLinks],
})
export class MailModule {}
