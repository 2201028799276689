export { type OutgoingMail } from './outgoing-mail.js';
export { MailTemplates, type MailContent, type MailKind } from './templates/mail-templates.js';
export { MailTransport } from './transport/mail-transport.js';
export { SmtpMailTransport } from './transport/smtp-mail.transport.js';
export { FileMailTransport } from './transport/file-mail.transport.js';
export { MailModule } from './mail.module.js';
export { MailOutbox, MAIL_LINK_PATHS } from './outbox/mail-outbox.js';
export { MailSender } from './outbox/mail-sender.js';
export { AccountLinks, hashLinkToken, type IssuedLink } from './links/account-links.js';
