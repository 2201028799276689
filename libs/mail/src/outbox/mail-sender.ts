import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { MailOutboxRepository, type ClaimedMail } from '@app/persistence';
import { AppConfig, PeriodicTask } from '@app/platform';
import { securityWebhookRetryDelayMs as retryDelayMs } from '@app/security-events';
import { MailTransport } from '../transport/mail-transport.js';

/** How often each process looks for due mail. */
const POLL_INTERVAL_MS = 1000;
/**
 * A lease outlives any attempt: the connection, the greeting and the message each wait at most
 * MAIL_SEND_TIMEOUT, so four times it lapses only when its process died mid-send (then another
 * process, or this one restarted, sends the mail).
 */
const LEASE_TIMEOUTS = 4;
/** Mails sent at once by one process per round. */
const BATCH_SIZE = 10;
/** A mail its server has refused for this long is given up (logged as an error). API.md: "retried with backoff for 24 h". */
const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;

/**
 * Sends the queued mail (mail_outbox) from a background task in every API and dashboard process.
 * Nothing on a request's path waits for it: a slow or refusing SMTP server costs a request
 * nothing, and the mail waits in the database (at-least-once: a row is deleted only after the
 * server accepted the mail; a process that dies mid-send leaves a lease that lapses, and another
 * process, or this one restarted, sends it).
 */
@Injectable()
export class MailSender implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Mail');
  private readonly task = new PeriodicTask('send mail', POLL_INTERVAL_MS, () => (this.round = this.sendDue()), MailSender.name);
  private readonly leaseMs: number;
  /** The round under way (or the last one), for shutdown to wait for. */
  private round: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly outbox: MailOutboxRepository,
    private readonly transport: MailTransport,
    config: AppConfig,
  ) {
    this.leaseMs = LEASE_TIMEOUTS * config.mail.sendTimeout * 1000;
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.task.stop();
    await this.round.catch(() => undefined);
    this.transport.close();
  }

  /** One round: claims what is due, sends it, records each outcome; returns how many were attempted. */
  async sendDue(): Promise<number> {
    const claimed = await this.outbox.claimDue(BATCH_SIZE, this.leaseMs);
    await Promise.all(claimed.map((mail) => this.attempt(mail)));
    return claimed.length;
  }

  private async attempt(mail: ClaimedMail): Promise<void> {
    let failure: string | null = null;
    try {
      await this.transport.send({ to: mail.recipient, subject: mail.subject, text: mail.text, html: mail.html });
    } catch (error) {
      failure = (error as Error).message;
    }
    try {
      if (failure === null) {
        await this.outbox.markSent(mail);
        return;
      }
      const delayMs = retryDelayMs(mail.attempts);
      const outcome = await this.outbox.retryLater(mail, delayMs, GIVE_UP_AFTER_MS, failure);
      // Never the address or the content: the id and the server's answer are enough to follow it.
      const what = `mail ${mail.id}, attempt ${mail.attempts}: ${failure}`;
      if (outcome === 'given_up') this.logger.error(`Gave up ${what}; it was refused for 24 h`);
      else if (outcome === 'retrying' && (mail.attempts === 1 || mail.attempts % 10 === 0))
        this.logger.warn(`Failed ${what}; retrying with backoff (next in ${Math.round(delayMs / 1000)} s)`);
    } catch (error) {
      // The lease lapses and the mail is tried again; only the bookkeeping failed.
      this.logger.warn(`Could not record the outcome of mail ${mail.id}: ${(error as Error).message}`);
    }
  }
}
