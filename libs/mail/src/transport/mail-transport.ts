import type { OutgoingMail } from './outgoing-mail.js';

/** Where mails go: an SMTP server in production, `.eml` files outside it (API.md, Accounts: Mail). */
export abstract class MailTransport {
  /** Sends one mail; throws (with a reason safe to log: never the mail's content) when it was not accepted. */
  abstract send(mail: OutgoingMail): Promise<void>;
  abstract close(): void;
}
