import { Logger } from '@nestjs/common';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { OutgoingMail } from './outgoing-mail.js';
import { MailTransport } from './mail-transport.js';

/**
 * Outside production without `SMTP_URL`: each mail becomes an `.eml` file in `directory`
 * (nodemailer composes it exactly as it would send it) and its link is logged, so `npm start`
 * needs no mail server and a developer can still click through verification and reset.
 */
export class FileMailTransport extends MailTransport {
  private readonly logger = new Logger('Mail');
  private readonly composer: Transporter;
  private sequence = 0;

  constructor(
    private readonly directory: string,
    private readonly from: string,
  ) {
    super();
    this.composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }

  async send(mail: OutgoingMail): Promise<void> {
    const info = await this.composer.sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
    await mkdir(this.directory, { recursive: true });
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}-${++this.sequence}.eml`;
    const path = join(this.directory, name);
    await writeFile(path, info.message as Buffer);
    // Development only (production refuses to start without SMTP_URL): the link is what a developer needs.
    const link = mail.text.match(/https?:\/\/\S+/)?.[0];
    this.logger.log(`Mail "${mail.subject}" written to ${path}${link ? `; its link: ${link}` : ''}`);
  }

  close(): void {
    this.composer.close();
  }
}
