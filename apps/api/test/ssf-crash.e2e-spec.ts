import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { SESSION_REVOKED } from '@app/ssf';
import { startApiProcess, type ApiProcess } from '../../../test/support/app-process.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/scratch-database.js';
import { es256Pem, SsfTestReceiver, type ReceivedSet } from '../../../test/support/ssf-receiver.js';
import { waitFor } from '../../../test/support/wait-for.js';

jest.setTimeout(120_000);

/** `npm run ssf -- …` as an operator runs it: the built CLI, as a process. */
function ssfCommand(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [resolve('dist/apps/cli/src/main.js'), 'ssf', ...args],
      { env: { NODE_ENV: 'test', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function post(api: ApiProcess, path: string, body: unknown, token?: string): Promise<Response> {
  return fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

const sessionOf = (set: ReceivedSet) => (set.claims.sub_id as { session?: { id: string } }).session?.id;

/**
 * API.md § Shared Signals: push delivery is at-least-once across a crash. The receiver is
 * registered with the real `ssf` command; the API process is killed (SIGKILL) while its push is
 * in flight, and a new process on the same database sends the same SET once the lease lapses.
 */
describe('Shared Signals push across a killed process (e2e)', () => {
  const pem = es256Pem();
  let database: ScratchDatabase;
  let env: Record<string, string>;
  const processes: ApiProcess[] = [];

  beforeAll(async () => {
    database = await scratchDatabase();
    env = { DATABASE_URL: database.url, JWT_PRIVATE_KEY: pem, LOGIN_RATE_LIMIT: '1000/15m' };
  });

  afterAll(async () => {
    for (const process of processes) await process.stop();
    await database?.remove();
  });

  it('registers a receiver from the command line, loses no SET when the sender dies mid-push, and withdraws the receiver', async () => {
    const added = await ssfCommand(env, 'add-receiver', 'crash-receiver', 'https://crash.example');
    expect(added).toMatchObject({ code: 0, stderr: '' });
    const token = added.stdout.split('\n')[1]!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await ssfCommand(env, 'add-receiver', 'crash-receiver', 'https://other.example')).code).toBe(1);
    expect((await ssfCommand(env, 'add-receiver', 'bad name', 'https://other.example')).code).toBe(2);
    expect((await ssfCommand(env, 'list-receivers')).stdout).toContain('crash-receiver\thttps://crash.example');

    const first = await startApiProcess(env);
    processes.push(first);
    // The first push is never answered: its sender dies with it in flight.
    const receiver = await new SsfTestReceiver(first.url, token, 'https://crash.example', undefined, (_, index) =>
      index === 0 ? 'hang' : 202,
    ).listen();
    try {
      await receiver.discover();
      await receiver.createStream('push', [SESSION_REVOKED]);
      const email = 'crash@example.com';
      expect((await post(first, '/auth/register', { email, password: 'correct horse battery' })).status).toBe(201);
      const login = (await (
        await post(first, '/auth/login', { email, password: 'correct horse battery', device: { name: 'Phone' } })
      ).json()) as {
        access_token: string;
        device_id: string;
      };
      expect((await post(first, '/auth/logout', {}, login.access_token)).status).toBe(204);
      await waitFor(() => receiver.pushRequests.length === 1, { timeoutMs: 20_000, what: 'the push reaching the receiver' });
      await first.kill();
      expect(receiver.pushed).toEqual([]);

      // Another process on the same database (where the first listened: the receiver's jwks_uri), the
      // dead one's lease lapses and the SET goes out, the same one.
      const second = await startApiProcess(env, { port: Number(new URL(first.url).port) });
      processes.push(second);
      await waitFor(() => receiver.pushed.length > 0, { timeoutMs: 60_000, what: 'the SET after the restart' });
      expect(receiver.pushed.map(sessionOf)).toEqual([login.device_id]);
      const hung = await receiver.verify(receiver.pushRequests[0]!.body);
      expect(receiver.pushed[0]!.claims.jti).toBe(hung.claims.jti);

      expect((await ssfCommand(env, 'remove-receiver', 'crash-receiver')).code).toBe(0);
      expect((await fetch(`${second.url}/ssf/streams`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
      expect((await ssfCommand(env, 'remove-receiver', 'crash-receiver')).code).toBe(1);
    } finally {
      await receiver.close();
    }
  });
});
