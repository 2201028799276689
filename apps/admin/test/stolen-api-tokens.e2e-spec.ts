import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { generateKeyPair, generateProof, type KeyPair } from 'dpop';
import { DataSource, IsNull } from 'typeorm';
import type { TokenResponse } from '@app/auth';
import { DeviceEntity, UserEntity } from '@app/persistence';
import { startTestApi, type TestApi } from '../../api/test/support/test-api.js';
import { DashboardClient } from './support/dashboard-client.js';
import { startTestDashboard, type TestDashboard } from './support/test-dashboard.js';

const PASSWORD = 'correct horse battery';
const PUBLIC_URL = 'https://auth.example.test';

/**
 * API.md § Tokens and § Device-bound tokens: the dashboard accepts only tokens issued to a
 * dashboard session, the API only its own. Found on the old code: a stolen *bound* API access
 * token put in the dashboard's access cookie opened the owner's dashboard (GET /devices → 200
 * with a CSRF token), and the thief could then revoke the owner's phone. Both apps run here on
 * one database with one signing key, as a deployment runs them.
 */
describe('stolen API tokens never open a dashboard session, and dashboard tokens never pass the API (e2e)', () => {
  let api: TestApi;
  let dashboard: TestDashboard;
  let admin: NestFastifyApplication;
  let counter = 0;

  beforeAll(async () => {
    api = await startTestApi({ PUBLIC_URL });
    // The deployment's settings, as both apps read them from one environment (same issuer).
    dashboard = await startTestDashboard({ DATABASE_URL: api.databaseUrl, LOGIN_RATE_LIMIT: '1000/15m', PUBLIC_URL });
    admin = dashboard.app;
  });

  afterAll(async () => {
    await dashboard.close();
    await api.close();
  });

  async function account(): Promise<string> {
    const email = `victim-${++counter}@example.com`;
    await api.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201);
    return email;
  }

  /** The owner's phone signs in through the API, bound to a key (`keys`) or as a bearer device. */
  async function phone(email: string, keys?: KeyPair): Promise<TokenResponse> {
    const request = api.http().post('/auth/login');
    if (keys) request.set('DPoP', await generateProof(keys, `${PUBLIC_URL}/auth/login`, 'POST'));
    const response = await request.send({ email, password: PASSWORD, device: { name: 'Owner phone', platform: 'ios' } }).expect(200);
    return response.body as TokenResponse;
  }

  async function activeDevices(email: string): Promise<string[]> {
    const dataSource = admin.get(DataSource);
    const user = await dataSource.getRepository(UserEntity).findOneByOrFail({ email });
    const devices = await dataSource.getRepository(DeviceEntity).find({ where: { userId: user.id, revokedAt: IsNull() } });
    return devices.map((device) => device.id).sort();
  }

  /** A thief's browser with the stolen token planted in one of the dashboard's cookies. */
  function thiefWith(cookie: 'dashboard_access' | 'dashboard_refresh', token: string): DashboardClient {
    const thief = new DashboardClient(admin);
    thief.cookies.set(cookie, token);
    return thief;
  }

  it.each([
    ['a key-bound', true],
    ['a bearer', false],
  ])('refuses %s API access token in the access cookie: no page, no CSRF token, nothing revoked', async (_kind, bound) => {
    const email = await account();
    const tokens = await phone(email, bound ? await generateKeyPair('ES256') : undefined);
    expect(tokens.token_type).toBe(bound ? 'DPoP' : 'Bearer');
    const before = await activeDevices(email);

    const thief = thiefWith('dashboard_access', tokens.access_token);
    const page = await thief.get('/devices');
    expect(page.status).toBe(303);
    expect(page.headers.location).toMatch(/^\/signin/);
    expect(page.text).not.toContain('_csrf');
    // With whatever CSRF token a signed-out page hands out, the forms refuse too.
    await thief.get('/signin');
    expect((await thief.post('/devices/revoke-others')).status).toBe(403);
    expect((await thief.post(`/devices/${tokens.device_id}/revoke`)).status).toBe(403);
    expect((await thief.post('/signout')).status).toBe(403);
    expect(await activeDevices(email)).toEqual(before);
  });

  it("refuses an API device's refresh token in the refresh cookie, and spends nothing of it", async () => {
    const email = await account();
    const tokens = await phone(email);
    const thief = thiefWith('dashboard_refresh', tokens.refresh_token);
    const page = await thief.get('/devices');
    expect(page.status).toBe(303);
    expect(page.headers.location).toMatch(/^\/signin/);
    expect(thief.cookies.has('dashboard_access')).toBe(false);
    // The owner's phone refreshes as before: the dashboard did not rotate (or revoke) its token.
    const refreshed = await api.http().post('/auth/refresh').send({ refresh_token: tokens.refresh_token }).expect(200);
    expect(refreshed.body.device_id).toBe(tokens.device_id);
    expect(await activeDevices(email)).toEqual([tokens.device_id]);
  });

  it("refuses the dashboard's own tokens at the API: its access token at GET /me, its refresh token at /auth/refresh and /auth/revoke", async () => {
    const email = await account();
    const browser = new DashboardClient(admin);
    await browser.signIn(email, PASSWORD);
    const access = browser.cookies.get('dashboard_access')!;
    const refreshToken = browser.cookies.get('dashboard_refresh')!;

    const me = await api.http().get('/me').set('authorization', `Bearer ${access}`);
    expect(me.status).toBe(401);
    expect(me.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    const refreshed = await api.http().post('/auth/refresh').send({ refresh_token: refreshToken }).expect(400);
    expect(refreshed.body).toMatchObject({ error: 'invalid_grant', reason: 'invalid' });
    await api.http().post('/auth/revoke').send({ token: refreshToken }).expect(200);

    // The browser's session is untouched by all of that: its refresh token was neither spent nor revoked.
    browser.cookies.delete('dashboard_access');
    expect((await browser.get('/devices')).status).toBe(200);
    expect(await activeDevices(email)).toHaveLength(1);
  });

  it('still opens the dashboard with its own session (the control: the refusals above are about whose token it is)', async () => {
    const email = await account();
    await phone(email, await generateKeyPair('ES256'));
    const browser = new DashboardClient(admin);
    await browser.signIn(email, PASSWORD);
    const page = await browser.get('/devices');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Owner phone');
  });
});
