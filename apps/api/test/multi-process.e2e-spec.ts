import type { TokenResponse } from '@app/auth';
import { startApiProcess, type ApiProcess } from '../../../test/support/app-process.js';
import { waitFor } from '../../../test/support/wait-for.js';
import { scratchDatabase, TEST_JWT_SECRET, type ScratchDatabase } from './support/test-api.js';

/**
 * Two real API processes on one SQLite file (or PostgreSQL database, in that project): what one process revokes, the other refuses
 * once it has synced (REVOCATION_SYNC_INTERVAL, 1 s; the tests poll within a generous deadline), with no database query per request;
 * and one token chain spans both processes.
 */
describe('two API processes on one database (e2e)', () => {
  let database: ScratchDatabase;
  let first: ApiProcess;
  let second: ApiProcess;

  beforeAll(async () => {
    database = await scratchDatabase();
    const env = { DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET, REVOCATION_SYNC_INTERVAL: '1s' };
    first = await startApiProcess(env);
    second = await startApiProcess(env);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await database?.remove();
  });

  const post = (base: string, path: string, body: unknown, token?: string) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const me = (base: string, token: string) => fetch(`${base}/me`, { headers: { authorization: `Bearer ${token}` } });

  const refresh = async (base: string, refreshToken: string) => {
    const response = await post(base, '/auth/refresh', { refresh_token: refreshToken });
    return { status: response.status, body: (await response.json()) as TokenResponse & { error?: string; reason?: string } };
  };
  const listDevices = async (base: string, token: string) =>
    ((await (await fetch(`${base}/devices`, { headers: { authorization: `Bearer ${token}` } })).json()) as { devices: { id: string }[] })
      .devices;

  it('refuses on one process an access token revoked through the other, once the other has synced', async () => {
    const email = `two-processes-${Date.now()}@example.com`;
    expect((await post(first.url, '/auth/register', { email, password: 'password-123' })).status).toBe(201);
    const tokens = (await (
      await post(first.url, '/auth/login', { email, password: 'password-123', device: { name: 'Phone' } })
    ).json()) as TokenResponse;
    expect((await me(second.url, tokens.access_token)).status).toBe(200);

    expect((await post(first.url, '/auth/logout', {}, tokens.access_token)).status).toBe(204);
    // Polled within a generous deadline: how fast the other process syncs is the benchmark's figure.
    await waitFor(async () => (await me(second.url, tokens.access_token)).status === 401, {
      what: 'the second process refusing the token',
    });

    // The refresh token is refused by the other process at once: it is checked in the database.
    const refreshed = await post(second.url, '/auth/refresh', { refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(400);
    expect(((await refreshed.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('treats a refresh token rotated on one process and replayed on the other as theft, and revokes the device', async () => {
    const email = `chain-${Date.now()}@example.com`;
    expect((await post(second.url, '/auth/register', { email, password: 'password-123' })).status).toBe(201);
    const login = (await (
      await post(second.url, '/auth/login', { email, password: 'password-123', device: { name: 'Tablet' } })
    ).json()) as TokenResponse;
    // Rotated twice on the first process: the login's token is now an older ancestor, which the
    // grace period never forgives (its immediate parent it would, for 10 s).
    const rotated = await refresh(first.url, login.refresh_token);
    expect(rotated.status).toBe(200);
    const newest = await refresh(first.url, rotated.body.refresh_token);
    expect(newest.status).toBe(200);
    expect(newest.body.device_id).toBe(login.device_id);

    // The thief replays the spent token on the other process: it is refused as reuse ...
    const replay = await refresh(second.url, login.refresh_token);
    expect(replay.status).toBe(400);
    expect(replay.body).toEqual({ error: 'invalid_grant', error_description: expect.any(String), reason: 'reused' });

    // ... and the whole device session is revoked, on both processes: its newest refresh token no
    // longer refreshes, its access token is refused once each process has synced, and the device
    // is gone from the user's list.
    for (const base of [first.url, second.url]) {
      const after = await refresh(base, newest.body.refresh_token);
      expect(after.status).toBe(400);
      expect(after.body).toMatchObject({ error: 'invalid_grant', reason: 'reused' });
      await waitFor(async () => (await me(base, newest.body.access_token)).status === 401, {
        what: `${base} refusing the revoked device's token`,
      });
    }
    const other = (await (
      await post(first.url, '/auth/login', { email, password: 'password-123', device: { name: 'Laptop' } })
    ).json()) as TokenResponse;
    const devices = await listDevices(second.url, other.access_token);
    expect(devices.map((device) => device.id)).toEqual([other.device_id]);
  });
});
