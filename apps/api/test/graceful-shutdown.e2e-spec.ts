import type { TokenResponse } from '@app/auth';
import { DeviceEntity, openDataSource } from '@app/persistence';
import { AppConfig } from '@app/platform';
import { startApiProcess, type ApiProcess } from '../../../test/support/app-process.js';
import { settles, waitFor } from '../../../test/support/wait-for.js';
import { scratchDatabase, TEST_JWT_SECRET, type ScratchDatabase } from './support/test-api.js';

const PASSWORD = 'correct horse battery';

/**
 * A real process stopped with SIGTERM (what an orchestrator does on every deploy) while
 * clients keep sending: requests it has received complete, nothing answers 5xx, the batched
 * last-seen times are written, and it exits on its own.
 */
describe('graceful shutdown (e2e)', () => {
  let database: ScratchDatabase;
  let api: ApiProcess;

  beforeAll(async () => {
    database = await scratchDatabase();
    api = await startApiProcess({
      DATABASE_URL: database.url,
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_FORMAT: 'json',
      // Nothing but the shutdown writes last-seen times during this test.
      LAST_SEEN_FLUSH_INTERVAL: '1h',
      LOGIN_RATE_LIMIT: '1000/15m',
      REGISTER_RATE_LIMIT: '1000/1h',
    });
  });

  afterAll(async () => {
    await api.stop();
    await database.remove();
  });

  const post = (path: string, body: unknown) =>
    fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('finishes in-flight requests without a 5xx, writes the last-seen batch and exits 0 within SHUTDOWN_TIMEOUT', async () => {
    const email = `shutdown-${Date.now()}@example.com`;
    expect((await post('/auth/register', { email, password: PASSWORD })).status).toBe(201);
    const sessions: TokenResponse[] = [];
    for (let index = 0; index < 3; index++) {
      const response = await post('/auth/login', { email, password: PASSWORD, device: { name: `Phone ${index}` } });
      expect(response.status).toBe(200);
      sessions.push((await response.json()) as TokenResponse);
    }
    // Guarded requests note the time in memory only (flushed every hour here): later than sign-in.
    // This pause only lets the clock move past the sign-ins (a slower machine only adds to it).
    await new Promise((resolve) => setTimeout(resolve, 50));

    let stopping = false;
    const statuses: number[] = [];
    const failuresBeforeStop: unknown[] = [];
    // A stream of guarded requests on kept-alive connections, until the server is gone.
    const streams = sessions.map(async (session) => {
      for (;;) {
        try {
          const response = await fetch(`${api.url}/me`, { headers: { authorization: `Bearer ${session.access_token}` } });
          statuses.push(response.status);
          await response.arrayBuffer();
        } catch (error) {
          // Refused or reset once the server has closed: fine for requests it never took.
          if (!stopping) failuresBeforeStop.push(error);
          return;
        }
      }
    });
    // Until the streams are under way (every one of them answered).
    await waitFor(() => statuses.length >= 2 * sessions.length, { what: 'the guarded streams under way' });
    // Slow requests (argon2 runs one or two at a time) sent before the signal: they must complete.
    let signedIn = 0;
    const signIns = Array.from({ length: 12 }, (_, index) =>
      post('/auth/login', { email, password: PASSWORD, device: { name: `Late ${index}` } }).then(
        (response) => {
          signedIn++;
          return response.status;
        },
        (error: unknown) => error,
      ),
    );
    // Until the server is working through them (the first has answered; the rest, sent with it,
    // have arrived and wait for argon2), so that the signal comes with sign-ins in flight.
    await waitFor(() => signedIn > 0, { what: 'the first late sign-in answered' });
    stopping = true;
    // SIGTERM; the process must exit by itself. The deadline is generous (the process gives up
    // draining after SHUTDOWN_TIMEOUT, 10 s, and then exits 1, which the code 0 below rules out).
    const exit = await settles(api.stop(), { timeoutMs: 20_000, what: 'the process exiting after SIGTERM' });
    await Promise.all(streams);

    expect(await Promise.all(signIns)).toEqual(Array(12).fill(200));
    // …and some of them were still under way when the signal came (else this proves nothing).
    const log = api.output().stdout.split('\n');
    const signalLine = log.findIndex((line) => line.includes('SIGTERM: no new connections'));
    expect(signalLine).toBeGreaterThan(0);
    expect(
      log.slice(signalLine).filter((line) => line.includes('"route":"/auth/login","path":"/auth/login","status":200')).length,
    ).toBeGreaterThan(0);
    expect(failuresBeforeStop).toEqual([]);
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(exit).toEqual({ code: 0, signal: null });

    // The last-seen batch reached the database: every streamed device was seen after sign-in.
    const dataSource = await openDataSource(
      AppConfig.fromEnv({ DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET, MIGRATIONS_RUN: 'false' }),
    );
    try {
      const devices = await dataSource.getRepository(DeviceEntity).findBy(sessions.map((session) => ({ id: session.device_id })));
      expect(devices).toHaveLength(3);
      for (const device of devices) expect(device.lastSeenAt).toBeGreaterThan(device.createdAt);
    } finally {
      await dataSource.destroy();
    }
  }, 60_000);
});
