import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * An SMTP server for the benchmark that takes `delayMs` to accept each mail (a slow provider),
 * counting what it accepted. The `smtp-server` package, spoken to over TCP by the API's
 * nodemailer transport exactly as a provider would be.
 */
export class SmtpSink {
  accepted = 0;
  private readonly server: SMTPServer;

  constructor(private readonly delayMs: number) {
    this.server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      logger: false,
      onAuth: (_auth, _session, callback) => callback(null, { user: 'relay' }),
      onData: (stream, _session, callback) => {
        stream.resume();
        stream.on('end', () =>
          setTimeout(() => {
            this.accepted++;
            callback();
          }, this.delayMs),
        );
      },
    });
  }

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
}
