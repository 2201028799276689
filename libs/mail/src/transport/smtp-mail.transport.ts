import nodemailer, { type Transporter } from 'nodemailer';
import type { OutgoingMail } from './outgoing-mail.js';
import { MailTransport } from './mail-transport.js';

/**
 * Sends through nodemailer's SMTP transport to `SMTP_URL` (`smtp://` upgrades with STARTTLS when
 * the server offers it; `smtps://` is TLS from the start). One pooled connection per process.
 */
export class SmtpMailTransport extends MailTransport {
  private readonly transporter: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    /** The longest wait for each SMTP step (MAIL_SEND_TIMEOUT); a server slower than this fails the attempt, which is retried later. */
    timeoutMs: number,
  ) {
    super();
    const url = new URL(smtpUrl);
    this.transporter = nodemailer.createTransport({
      host: url.hostname,
      port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587,
      secure: url.protocol === 'smtps:',
      auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
      pool: true,
      maxConnections: 2,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
  }

  async send(mail: OutgoingMail): Promise<void> {
    try {
      await this.transporter.sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
    } catch (error) {
      // The SMTP reply or the network error, never the mail (it holds a link): nodemailer's error
      // is not kept as the cause, so no logger can print what it carries.
      const failure = error as { responseCode?: number; code?: string; message?: string };
      // eslint-disable-next-line preserve-caught-error -- deliberately dropped, see above
      throw new Error(failure.responseCode ? `SMTP ${failure.responseCode}` : (failure.code ?? 'SMTP failure'));
    }
  }

  close(): void {
    this.transporter.close();
  }
}
