import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { simpleParser } from 'mailparser';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailReceiver } from '../../../test/support/mail-receiver.js';
import { FileMailTransport, MailTemplates, SmtpMailTransport } from '@app/mail';

const templates = new MailTemplates('device-auth');
const mail = templates.render('Ann@Example.com', { kind: 'verify_email', link: 'http://localhost:3001/verify-email?token=t0k3n' });

describe('SmtpMailTransport against a real SMTP server', () => {
  let receiver: MailReceiver;
  beforeAll(async () => {
    let calls = 0;
    receiver = await new MailReceiver(() => (calls++ === 1 ? 'refuse' : 'accept')).start();
  });
  afterAll(() => receiver.stop());

  it('delivers plain text and HTML with the sender from MAIL_FROM, logging in with the URL credentials', async () => {
    const transport = new SmtpMailTransport(receiver.url, 'Device Auth <no-reply@auth.example>', 30_000);
    try {
      await transport.send(mail);
      const [received] = await receiver.waitForMails('ann@example.com');
      expect(received.from).toBe('no-reply@auth.example');
      expect(received.subject).toBe('Confirm your email address');
      expect(received.links).toEqual(['http://localhost:3001/verify-email?token=t0k3n']);
      expect(received.html).toContain('<a href="http://localhost:3001/verify-email?token&#x3D;t0k3n">');
    } finally {
      transport.close();
    }
  });

  it('reports a refusal with the SMTP code and nothing of the mail', async () => {
    const transport = new SmtpMailTransport(receiver.url, 'no-reply@auth.example', 30_000);
    try {
      const failure = await transport.send(mail).then(
        () => null,
        (error: Error) => error.message,
      );
      expect(failure).toBe('SMTP 451');
      expect(receiver.refused).toBe(1);
    } finally {
      transport.close();
    }
  });

  it('reports a server that does not answer as a network failure', async () => {
    const transport = new SmtpMailTransport('smtp://127.0.0.1:1', 'no-reply@auth.example', 30_000);
    try {
      await expect(transport.send(mail)).rejects.toThrow(/ECONNREFUSED|ESOCKET|ECONNECTION/);
    } finally {
      transport.close();
    }
  });
});

describe('FileMailTransport', () => {
  it('writes each mail as an .eml file a mail client (and mailparser) can read', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'mail-'));
    const transport = new FileMailTransport(join(directory, 'mail'), 'no-reply@localhost');
    try {
      await transport.send(mail);
      await transport.send(mail);
      const files = await readdir(join(directory, 'mail'));
      expect(files).toHaveLength(2);
      const parsed = await simpleParser(await readFile(join(directory, 'mail', files[0])));
      expect(parsed.subject).toBe('Confirm your email address');
      expect(parsed.text).toContain('http://localhost:3001/verify-email?token=t0k3n');
    } finally {
      transport.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
