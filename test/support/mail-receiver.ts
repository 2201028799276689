import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

export interface ReceivedMail {
  /** The envelope's recipients (RCPT TO), lower-cased. */
  readonly to: string[];
  readonly from: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** The links in the text part, in order. */
  readonly links: string[];
  readonly parsed: ParsedMail;
}

/**
 * What the server does with a mail: accept it, refuse it with an SMTP error, take `delayMs`
 * before accepting, or never answer (`hang`: a sender that dies meanwhile never learns the outcome).
 */
export type MailAnswer = 'accept' | 'refuse' | 'hang' | { readonly delayMs: number };

/**
 * A real SMTP server for e2e tests (the `smtp-server` package; `mailparser` reads what arrives),
 * whose answers a test decides: the service's nodemailer transport talks to it over TCP exactly
 * as it would to a provider. Authentication is accepted for any user, as a relay would for ours.
 */
export class MailReceiver {
  readonly received: ReceivedMail[] = [];
  /** Mails refused so far (each attempt), to tell retries apart from first sends. */
  refused = 0;
  /** Mails whose data arrived and whose answer is still to come (delayed or hanging). */
  pending = 0;
  private readonly server: SMTPServer;

  constructor(private readonly answer: (index: number) => MailAnswer = () => 'accept') {
    this.server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      logger: false,
      onAuth: (_auth, _session, callback) => callback(null, { user: 'relay' }),
      onData: (stream, session, callback) => void this.receive(stream, session, callback),
    });
  }

  /** An `SMTP_URL` for the service under test. */
  get url(): string {
    return `smtp://relay:secret@127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The mails to `address` so far. */
  to(address: string): ReceivedMail[] {
    return this.received.filter((mail) => mail.to.includes(address.toLowerCase()));
  }

  /** Polls until `address` has received `count` mails (generous deadline), and returns them. */
  async waitForMails(address: string, count = 1, timeoutMs = 20_000): Promise<ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.to(address).length < count) {
      if (Date.now() > deadline)
        throw new Error(`expected ${count} mail(s) to ${address} within ${timeoutMs} ms, got ${this.to(address).length}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.to(address);
  }

  private async receive(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null) => void): Promise<void> {
    const index = this.received.length + this.refused + this.pending;
    const answer = this.answer(index);
    try {
      const parsed = await simpleParser(stream);
      if (answer === 'hang') {
        this.pending++;
        return;
      }
      if (typeof answer === 'object') {
        this.pending++;
        await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
        this.pending--;
      }
      if (answer === 'refuse') {
        this.refused++;
        const refusal = Object.assign(new Error('mailbox unavailable, try again later'), { responseCode: 451 });
        callback(refusal);
        return;
      }
      const text = parsed.text ?? '';
      this.received.push({
        to: session.envelope.rcptTo.map((recipient) => recipient.address.toLowerCase()),
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        subject: parsed.subject ?? '',
        text,
        html: typeof parsed.html === 'string' ? parsed.html : '',
        links: text.match(/https?:\/\/[^\s<>"]+/g) ?? [],
        parsed,
      });
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}
