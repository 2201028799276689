import type { TokenResponse } from '@app/auth';
import { startApiProcess, type ApiProcess } from '../../../test/support/app-process.js';
import { scratchDatabase, TEST_JWT_SECRET, type ScratchDatabase } from './support/test-api.js';

/**
 * Two real API processes on one SQLite file (or PostgreSQL database, in that project): what one process revokes, the other refuses
 * within REVOCATION_SYNC_INTERVAL (1 s) plus a margin, with no database query per request.
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

  it('refuses on one process, within 1.5 s, an access token revoked through the other', async () => {
    const email = `two-processes-${Date.now()}@example.com`;
    expect((await post(first.url, '/auth/register', { email, password: 'password-123' })).status).toBe(201);
    const tokens = (await (
      await post(first.url, '/auth/login', { email, password: 'password-123', device: { name: 'Phone' } })
    ).json()) as TokenResponse;
    expect((await me(second.url, tokens.access_token)).status).toBe(200);

    expect((await post(first.url, '/auth/logout', {}, tokens.access_token)).status).toBe(204);
    const revokedAt = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < 3000) {
      status = (await me(second.url, tokens.access_token)).status;
      if (status === 200) await new Promise((done) => setTimeout(done, 20));
    }
    const elapsed = Date.now() - revokedAt;
    expect(status).toBe(401);
    expect(elapsed).toBeLessThanOrEqual(1500);

    // The refresh token is refused by the other process at once: it is checked in the database.
    const refreshed = await post(second.url, '/auth/refresh', { refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(400);
    expect(((await refreshed.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('shares one token chain: a token rotated on one process is spent on the other', async () => {
    const email = `chain-${Date.now()}@example.com`;
    await post(second.url, '/auth/register', { email, password: 'password-123' });
    const tokens = (await (
      await post(second.url, '/auth/login', { email, password: 'password-123', device: { name: 'Tablet' } })
    ).json()) as TokenResponse;
    const rotated = (await (await post(first.url, '/auth/refresh', { refresh_token: tokens.refresh_token })).json()) as TokenResponse;
    const next = await post(second.url, '/auth/refresh', { refresh_token: rotated.refresh_token });
    expect(next.status).toBe(200);
  });
});
