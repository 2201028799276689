import { afterEach, describe, expect, it } from '@jest/globals';
import { startApiCluster, startApiProcess, type ApiProcess } from '../../../test/support/app-process.js';
import { MailReceiver, type MailAnswer, type ReceivedMail } from '../../../test/support/mail-receiver.js';
import { scratchDatabase, TEST_JWT_SECRET, type ScratchDatabase } from '../../../test/support/scratch-database.js';
import { waitFor } from '../../../test/support/wait-for.js';

// API.md § Accounts, Mail: queued in the transaction of the change, sent by a background task,
// never delaying a request; retried while the server refuses; a process that dies mid-send
// loses nothing. Real API processes, a real SMTP server whose answers each test decides.

const PASSWORD = 'correct horse battery';
/** Processes start, mails wait for leases and retries: more than Jest's 30 s on a busy machine. */
const TEST_TIMEOUT_MS = 120_000;
let counter = 0;
const newEmail = () => `mail${++counter}-${Date.now()}@example.com`;

/** The `token` of the mail's link. */
function tokenOf(mail: ReceivedMail): string {
  const link = mail.links.find((candidate) => candidate.includes('token='));
  if (!link) throw new Error(`no link with a token in "${mail.subject}"`);
  return new URL(link).searchParams.get('token')!;
}

async function post(api: ApiProcess, path: string, body: unknown): Promise<Response> {
  return fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('mail delivery (e2e, real SMTP server, real processes)', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(
    answer: (index: number) => MailAnswer,
  ): Promise<{ receiver: MailReceiver; database: ScratchDatabase; env: Record<string, string> }> {
    const receiver = await new MailReceiver(answer).start();
    cleanups.push(() => receiver.stop());
    const database = await scratchDatabase();
    cleanups.push(() => database.remove());
    const env = { DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET, SMTP_URL: receiver.url, MAIL_SEND_TIMEOUT: '2s' };
    return { receiver, database, env };
  }

  async function start(env: Record<string, string>): Promise<ApiProcess> {
    const api = await startApiProcess(env);
    cleanups.push(() => api.stop());
    return api;
  }

  it(
    'answers registration and sign-in while the SMTP server is still holding their mails, which arrive afterwards',
    async () => {
      // Each mail takes the server 8 s to accept. A request that waited for its mail would answer
      // only after the server accepted it.
      const { receiver, env } = await setUp(() => ({ delayMs: 8000 }));
      const api = await start({ ...env, MAIL_SEND_TIMEOUT: '30s' });
      const email = newEmail();

      expect((await post(api, '/auth/register', { email, password: PASSWORD })).status).toBe(201);
      expect(receiver.to(email)).toHaveLength(0);
      await waitFor(() => receiver.pending > 0, { timeoutMs: 20_000, what: 'the verification mail reaching the server' });
      // The second device's sign-in queues a new-device alert.
      for (const name of ['First phone', 'Second phone']) {
        const response = await post(api, '/auth/login', { email, password: PASSWORD, device: { name, platform: 'ios' } });
        expect(response.status).toBe(200);
      }
      // The requests are answered; the server has accepted nothing yet.
      expect(receiver.to(email)).toHaveLength(0);

      const mails = await receiver.waitForMails(email, 2, 60_000);
      expect(mails.map((mail) => mail.subject).sort()).toEqual(['Confirm your email address', 'New sign-in: Second phone']);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'keeps a mail the server refuses and sends it once the server accepts (retried with backoff)',
    async () => {
      const { receiver, env } = await setUp((index) => (index < 3 ? 'refuse' : 'accept'));
      const api = await start(env);
      const email = newEmail();

      expect((await post(api, '/auth/register', { email, password: PASSWORD })).status).toBe(201);
      const [mail] = await receiver.waitForMails(email, 1, 60_000);
      expect(receiver.refused).toBe(3);
      expect((await post(api, '/auth/email/verify', { token: tokenOf(mail!) })).status).toBe(204);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'sends, after a restart, the mail a killed process was in the middle of sending',
    async () => {
      // The first mail hangs at the server (no answer) until its sender dies; later ones go through.
      const { receiver, env } = await setUp((index) => (index === 0 ? 'hang' : 'accept'));
      const first = await start(env);
      const email = newEmail();

      expect((await post(first, '/auth/register', { email, password: PASSWORD })).status).toBe(201);
      await waitFor(() => receiver.pending === 1, { timeoutMs: 20_000, what: 'the mail reaching the server' });
      await first.kill();
      expect(receiver.to(email)).toHaveLength(0);

      // Restarted on the same database: the dead process's lease (4 × MAIL_SEND_TIMEOUT) lapses and the mail goes out.
      const second = await start(env);
      const [mail] = await receiver.waitForMails(email, 1, 60_000);
      expect((await post(second, '/auth/email/verify', { token: tokenOf(mail!) })).status).toBe(204);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a reset through one process ends every device on both: refresh refused, access tokens refused once the revocation spreads',
    async () => {
      const receiver = await new MailReceiver().start();
      cleanups.push(() => receiver.stop());
      const cluster = await startApiCluster(2, { SMTP_URL: receiver.url });
      cleanups.push(() => cluster.stop());
      const [first, second] = cluster.processes as [ApiProcess, ApiProcess];
      const email = newEmail();
      expect((await post(first, '/auth/register', { email, password: PASSWORD })).status).toBe(201);
      const devices: { access_token: string; refresh_token: string }[] = [];
      for (const [api, name] of [
        [first, 'Phone'],
        [second, 'Laptop'],
      ] as const) {
        const response = await post(api, '/auth/login', { email, password: PASSWORD, device: { name, platform: 'ios' } });
        expect(response.status).toBe(200);
        devices.push((await response.json()) as { access_token: string; refresh_token: string });
      }
      const me = (api: ApiProcess, token: string) => fetch(`${api.url}/me`, { headers: { authorization: `Bearer ${token}` } });
      for (const api of [first, second]) for (const device of devices) expect((await me(api, device.access_token)).status).toBe(200);

      expect((await post(second, '/auth/password/forgot', { email })).status).toBe(202);
      const reset = (await receiver.waitForMails(email, 3, 60_000)).find((mail) => mail.subject === 'Reset your password')!;
      expect((await post(second, '/auth/password/reset', { token: tokenOf(reset), newPassword: 'a brand new password' })).status).toBe(204);

      for (const api of [first, second]) {
        for (const device of devices) {
          await waitFor(async () => (await me(api, device.access_token)).status === 401, { what: 'the access token refused' });
          const refreshed = await post(api, '/auth/refresh', { refresh_token: device.refresh_token });
          expect(refreshed.status).toBe(400);
          expect(await refreshed.json()).toMatchObject({ error: 'invalid_grant', reason: 'password_changed' });
        }
      }
    },
    TEST_TIMEOUT_MS,
  );
});
