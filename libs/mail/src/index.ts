export { type OutgoingMail } from './outgoing-mail.js';
export { MailTemplates, type MailContent, type MailKind } from './templates/mail-templates.js';
export { MailTransport } from './transport/mail-transport.js';
export { SmtpMailTransport } from './transport/smtp-mail.transport.js';
export { FileMailTransport } from './transport/file-mail.transport.js';
