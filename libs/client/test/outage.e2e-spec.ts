import { freePort } from '../../../bench/support/server-process.js';
import { startApiProcess, type ApiProcess } from '../../../test/support/app-process.js';
import { scratchDatabase, TEST_JWT_SECRET, type ScratchDatabase } from '../../../test/support/scratch-database.js';
import { AuthClient, AuthNetworkError, MemoryStorage, type SignOutReason } from '../src/index.js';
import { ApiProxy } from './support/api-proxy.js';

// A real API process stopped and started again on the same port and database: what a phone
// sees during a deploy or a flaky network.

const FOURTEEN_AND_A_HALF_MINUTES = 870_000;

let database: ScratchDatabase;
let port: number;
let server: ApiProcess | undefined;
let proxy: ApiProxy;

function startServer(jwtSecret = TEST_JWT_SECRET): Promise<ApiProcess> {
  return startApiProcess(
    { DATABASE_URL: database.url, JWT_SECRET: jwtSecret, LOGIN_RATE_LIMIT: '1000/15m', REGISTER_RATE_LIMIT: '100000/1h' },
    { port },
  );
}

async function stopServer(): Promise<void> {
  await server?.stop();
  server = undefined;
}

async function signedInClient(options: { retryTimeout?: number } = {}) {
  const clock = { offset: 0 };
  const client = new AuthClient({ baseUrl: proxy.url, storage: new MemoryStorage(), now: () => Date.now() + clock.offset, ...options });
  const signedOut: SignOutReason[] = [];
  client.on('signedOut', ({ reason }) => signedOut.push(reason));
  const account = { email: `outage-${Date.now()}-${Math.random()}@example.com`, password: 'correct horse battery' };
  const registered = await fetch(`${proxy.url}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(account),
  });
  expect(registered.status).toBe(201);
  await client.login({ ...account, device: { name: 'Phone on a train' } });
  return { client, clock, signedOut };
}

/** Settles `promise` into a flag the test can look at while it is still pending. */
function track<T>(promise: Promise<T>): { settled: boolean; result: Promise<T> } {
  const tracked = { settled: false, result: promise };
  promise.then(
    () => (tracked.settled = true),
    () => (tracked.settled = true),
  );
  return tracked;
}

beforeAll(async () => {
  database = await scratchDatabase();
  port = await freePort();
  server = await startServer();
  proxy = await ApiProxy.start(server.url);
}, 60_000);

afterAll(async () => {
  await stopServer();
  await proxy?.close();
  await database?.remove();
});

describe('AuthClient through a server outage (e2e)', () => {
  it('rides out a few seconds of outage: the refresh waits for the server and the call succeeds', async () => {
    const { client, clock, signedOut } = await signedInClient();
    await stopServer();
    clock.offset = FOURTEEN_AND_A_HALF_MINUTES;
    const refreshing = track(client.fetch('/me'));
    const reading = track(client.fetch('/devices'));
    await new Promise((done) => setTimeout(done, 3000));
    expect(refreshing.settled).toBe(false);
    expect(reading.settled).toBe(false);

    server = await startServer();
    expect((await refreshing.result).status).toBe(200);
    expect((await reading.result).status).toBe(200);
    expect(signedOut).toEqual([]);
  }, 60_000);

  it('rejects with AuthNetworkError when the outage outlasts retryTimeout, keeps the session, and works once the server is back', async () => {
    const { client, clock, signedOut } = await signedInClient({ retryTimeout: 2 });
    await stopServer();
    clock.offset = FOURTEEN_AND_A_HALF_MINUTES;
    await expect(client.fetch('/me')).rejects.toBeInstanceOf(AuthNetworkError);
    expect(await client.isSignedIn()).toBe(true);

    server = await startServer();
    expect((await client.fetch('/me')).status).toBe(200);
    expect(signedOut).toEqual([]);
  }, 60_000);

  it('after a 401 invalid_token refreshes once and retries once (the server changed its signing key)', async () => {
    const { client, signedOut } = await signedInClient();
    await stopServer();
    server = await startServer('another-e2e-secret-that-is-at-least-32-bytes');
    const before = proxy.count('/auth/refresh');
    const meBefore = proxy.count('/me');

    const response = await client.fetch('/me');

    expect(response.status).toBe(200);
    expect(proxy.count('/auth/refresh') - before).toBe(1);
    expect(proxy.count('/me') - meBefore).toBe(2);
    expect(signedOut).toEqual([]);
  }, 60_000);
});
