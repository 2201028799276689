import type { TokenResponse } from '@app/auth';
import { startApiProcess, type ApiProcess } from '../../../test/support/app-process.js';
import { waitFor as pollUntil } from '../../../test/support/wait-for.js';
import {
  adminQuery,
  login,
  registerAndLogin,
  scratchDatabase,
  startTestApi,
  testPostgresUrl,
  TEST_JWT_SECRET,
  waitFor,
  type ScratchDatabase,
  type TestApi,
} from './support/test-api.js';

// These suites need a PostgreSQL server: they run in the "postgres" Jest project, which
// exists when TEST_DATABASE_URL is set (CI sets it). Without it they are reported as skipped.
const onPostgres = testPostgresUrl() ? describe : describe.skip;

onPostgres('three API processes on one PostgreSQL database (e2e)', () => {
  let database: ScratchDatabase;
  let processes: ApiProcess[] = [];

  beforeAll(async () => {
    database = await scratchDatabase();
    const env = {
      DATABASE_URL: database.url,
      JWT_SECRET: TEST_JWT_SECRET,
      REVOCATION_SYNC_INTERVAL: '1s',
      LOGIN_RATE_LIMIT: '3/15m',
      REGISTER_RATE_LIMIT: '1000/1h',
      DATABASE_POOL_SIZE: '5',
    };
    // Started at once: the migration advisory lock lets exactly one of them migrate.
    processes = await Promise.all([startApiProcess(env), startApiProcess(env), startApiProcess(env)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(processes.map((process) => process.stop()));
    await database?.remove();
  });

  const call = (base: string, method: string, path: string, body?: unknown, token?: string) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  async function signIn(base: string, email: string, name: string): Promise<TokenResponse> {
    const response = await call(base, 'POST', '/auth/login', { email, password: 'password-123', device: { name } });
    expect(response.status).toBe(200);
    return (await response.json()) as TokenResponse;
  }

  async function register(base: string): Promise<string> {
    const email = `scale-${Math.random().toString(36).slice(2)}@example.com`;
    expect((await call(base, 'POST', '/auth/register', { email, password: 'password-123' })).status).toBe(201);
    return email;
  }

  it('answers one refresh token sent to every process at once with one successor, no 5xx and no lost session', async () => {
    const [a, b, c] = processes.map((process) => process.url);
    const tokens = await signIn(a, await register(a), 'Phone');
    const responses = await Promise.all(
      [a, b, c, a, b, c, a, b, c].map((base) => call(base, 'POST', '/auth/refresh', { refresh_token: tokens.refresh_token })),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(9).fill(200));
    const bodies = (await Promise.all(responses.map((response) => response.json()))) as TokenResponse[];
    expect(new Set(bodies.map((body) => body.refresh_token)).size).toBe(1);
    // The session goes on, on any process.
    const next = await call(c, 'POST', '/auth/refresh', { refresh_token: bodies[0].refresh_token });
    expect(next.status).toBe(200);
    const nextTokens = (await next.json()) as TokenResponse;
    expect((await call(b, 'GET', '/me', undefined, nextTokens.access_token)).status).toBe(200);
  });

  it('has a device revoked through one process refused by the others within 1.5 s', async () => {
    const [a, b, c] = processes.map((process) => process.url);
    const email = await register(a);
    const phone = await signIn(a, email, 'Phone');
    const laptop = await signIn(b, email, 'Laptop');
    expect((await call(c, 'GET', '/me', undefined, phone.access_token)).status).toBe(200);

    expect((await call(b, 'DELETE', `/devices/${phone.device_id}`, undefined, laptop.access_token)).status).toBe(204);
    // Polled within a generous deadline: how fast the others sync is the benchmark's figure.
    for (const base of [a, c])
      await pollUntil(async () => (await call(base, 'GET', '/me', undefined, phone.access_token)).status === 401, {
        what: `${base} refusing the revoked device's token`,
      });
    expect((await call(c, 'GET', '/me', undefined, laptop.access_token)).status).toBe(200);
  });

  it('counts failed sign-ins across processes for the login rate limit', async () => {
    const [a, b, c] = processes.map((process) => process.url);
    const email = await register(a);
    for (const base of [a, b, c]) {
      const failed = await call(base, 'POST', '/auth/login', { email, password: 'wrong password', device: { name: 'x' } });
      expect(failed.status).toBe(401);
    }
    const limited = await call(b, 'POST', '/auth/login', { email, password: 'password-123', device: { name: 'x' } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

onPostgres('PostgreSQL outage (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ DATABASE_POOL_SIZE: '3' });
  });

  afterAll(async () => {
    await api.close();
  });

  it('answers 503 while the database is unreachable, keeps verifying tokens, and recovers with no data lost', async () => {
    const server = testPostgresUrl()!;
    const name = new URL(api.databaseUrl).pathname.slice(1);
    const { email, password, tokens } = await registerAndLogin(api);

    await adminQuery(server, `ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    try {
      await adminQuery(server, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`);
      await waitFor(async () => (await api.http().get('/health')).status === 503, 5000);
      const health = await api.http().get('/health').expect(503);
      expect(health.headers['content-type']).toMatch(/^application\/problem\+json/);

      const loginDuringOutage = await api
        .http()
        .post('/auth/login')
        .send({ email, password, device: { name: 'x' } });
      expect(loginDuringOutage.status).toBe(503);
      expect(JSON.stringify(loginDuringOutage.body)).not.toMatch(/SELECT|INSERT|at .*\.js|postgres/i);
      const refreshDuringOutage = await api.http().post('/auth/refresh').send({ refresh_token: tokens.refresh_token });
      expect(refreshDuringOutage.status).toBe(503);
      expect(refreshDuringOutage.body.error).toBe('temporarily_unavailable');

      // The guarded path never needed the database.
      await api.http().get('/me').set('Authorization', `Bearer ${tokens.access_token}`).expect(200);
    } finally {
      await adminQuery(server, `ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    }

    await waitFor(async () => (await api.http().get('/health')).status === 200, 10_000);
    await login(api, email, password);
    await api.http().post('/auth/refresh').send({ refresh_token: tokens.refresh_token }).expect(200);
  });
});
