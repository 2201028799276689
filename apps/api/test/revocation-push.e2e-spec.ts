import type { TokenResponse } from '@app/auth';
import { REVOCATION_LISTENER_APPLICATION_NAME } from '@app/persistence';
import pg from 'pg';
import { startApiCluster, type ApiCluster } from '../../../test/support/app-process.js';
import { waitFor } from '../../../test/support/wait-for.js';
import { testPostgresUrl } from './support/test-api.js';

// API.md § Revocation: on PostgreSQL every process hears of a revocation at once (LISTEN/NOTIFY)
// and refuses the access token within 100 ms; the periodic sync stays as the safety net. These
// suites need a PostgreSQL server (TEST_DATABASE_URL, as CI sets it); on SQLite (polling only)
// apps/api/test/multi-process.e2e-spec.ts covers the sync. They assert the behaviour (the other
// process refuses the token, with the sync too far off to explain it), polling within generous
// deadlines; how fast the push is belongs to the benchmark (bench/figures/08-revocation-spread.ts).
const onPostgres = testPostgresUrl() ? describe : describe.skip;

const post = (base: string, path: string, body: unknown, token?: string) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
const me = (base: string, token: string) => fetch(`${base}/me`, { headers: { authorization: `Bearer ${token}` } });

let counter = 0;
async function signIn(base: string): Promise<TokenResponse> {
  const email = `push-${Date.now()}-${++counter}@example.com`;
  expect((await post(base, '/auth/register', { email, password: 'password-123' })).status).toBe(201);
  const response = await post(base, '/auth/login', { email, password: 'password-123', device: { name: 'Phone' } });
  expect(response.status).toBe(200);
  return (await response.json()) as TokenResponse;
}

/**
 * A generous deadline for the other process to refuse a revoked token, yet far inside the 60 s
 * sync below: a refusal within it comes from the push, not from polling.
 */
const PUSH_DEADLINE_MS = 15_000;

/** Polls until `on` refuses the access token (401), failing once `timeoutMs` has passed. */
function refusedOn(on: string, token: string, timeoutMs: number): Promise<true> {
  return waitFor(async () => (await me(on, token)).status === 401, { timeoutMs, what: `a 401 for the revoked token on ${on}` });
}

/** Revokes through `from` (logout) the token `on` accepts, then polls until `on` refuses it. */
async function revokeAndSeeRefused(from: string, on: string, tokens: TokenResponse, timeoutMs: number): Promise<void> {
  expect((await me(on, tokens.access_token)).status).toBe(200);
  expect((await post(from, '/auth/logout', {}, tokens.access_token)).status).toBe(204);
  await refusedOn(on, tokens.access_token, timeoutMs);
}

async function listenerPids(databaseUrl: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
      [REVOCATION_LISTENER_APPLICATION_NAME],
    );
    return rows.map((row) => row.pid);
  } finally {
    await client.end();
  }
}

async function killListeners(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
      [REVOCATION_LISTENER_APPLICATION_NAME],
    );
    return rows.length;
  } finally {
    await client.end();
  }
}

async function waitForListeners(databaseUrl: string, count: number, except: number[] = []): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < 10_000) {
    const pids = (await listenerPids(databaseUrl)).filter((pid) => !except.includes(pid));
    if (pids.length >= count) return;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`fewer than ${count} revocation listeners after 10 s`);
}

onPostgres('revocation push across API processes (PostgreSQL LISTEN/NOTIFY, e2e)', () => {
  describe('with the periodic sync effectively off (60 s)', () => {
    let cluster: ApiCluster;

    beforeAll(async () => {
      cluster = await startApiCluster(2, { REVOCATION_SYNC_INTERVAL: '60s' });
      await waitForListeners(cluster.database.url, 2);
    }, 60_000);

    afterAll(async () => {
      await cluster?.stop();
    });

    it('refuses on the other process, long before its sync, a token revoked through one (push, not polling)', async () => {
      const [first, second] = cluster.processes;
      for (let round = 0; round < 5; round++) {
        const [from, on] = round % 2 === 0 ? [first.url, second.url] : [second.url, first.url];
        const tokens = await signIn(from);
        await revokeAndSeeRefused(from, on, tokens, PUSH_DEADLINE_MS);
      }
    });

    it('pushes every device of a revoke-others statement, not only the first', async () => {
      const [first, second] = cluster.processes;
      const email = `push-many-${Date.now()}@example.com`;
      await post(first.url, '/auth/register', { email, password: 'password-123' });
      const devices = await Promise.all(
        Array.from({ length: 6 }, async (_, index) => {
          const response = await post(first.url, '/auth/login', { email, password: 'password-123', device: { name: `Device ${index}` } });
          return (await response.json()) as TokenResponse;
        }),
      );
      const [keeper, ...others] = devices;
      for (const tokens of others) expect((await me(second.url, tokens.access_token)).status).toBe(200);
      const response = await post(first.url, '/devices/revoke-others', {}, keeper.access_token);
      expect(await response.json()).toEqual({ revoked: 5 });
      await waitFor(
        async () =>
          (await Promise.all(others.map(async (tokens) => (await me(second.url, tokens.access_token)).status))).every(
            (status) => status === 401,
          ),
        { timeoutMs: PUSH_DEADLINE_MS, what: 'a 401 for all 5 revoked devices on the other process' },
      );
      expect((await me(second.url, keeper.access_token)).status).toBe(200);
    });

    it('reconnects by itself after its LISTEN connection is killed from SQL, and pushes again', async () => {
      const before = await listenerPids(cluster.database.url);
      expect(before).toHaveLength(2);
      expect(await killListeners(cluster.database.url)).toBe(2);
      await waitForListeners(cluster.database.url, 2, before);

      const [first, second] = cluster.processes;
      const tokens = await signIn(first.url);
      await revokeAndSeeRefused(first.url, second.url, tokens, PUSH_DEADLINE_MS);
    });
  });

  describe('with the default 1 s sync as the safety net', () => {
    let cluster: ApiCluster;

    beforeAll(async () => {
      cluster = await startApiCluster(2, { REVOCATION_SYNC_INTERVAL: '1s' });
      await waitForListeners(cluster.database.url, 2);
    }, 60_000);

    afterAll(async () => {
      await cluster?.stop();
    });

    it('still refuses a revocation made while the LISTEN connections were down', async () => {
      const [first, second] = cluster.processes;
      const tokens = await signIn(first.url);
      expect((await me(second.url, tokens.access_token)).status).toBe(200);
      // Kill the listeners and revoke at once, before they can reconnect: the notification is
      // lost, and the periodic sync (or the catch-up read after reconnecting) must cover it.
      await killListeners(cluster.database.url);
      await revokeAndSeeRefused(first.url, second.url, tokens, 10_000);
    });
  });
});
