import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { IsNull, type DataSource } from 'typeorm';
import { AuthService } from '@app/auth';
import { DeviceEntity, UserEntity } from '@app/persistence';
import { TEST_JWT_SECRET } from '../../../test/support/scratch-database.js';
import { createAdminApp } from '../src/create-admin-app.js';
import { DashboardClient } from './support/dashboard-client.js';
import { startTestDashboard, type TestDashboard } from './support/test-dashboard.js';

const PASSWORD = 'correct horse battery';

function setCookieLines(response: { headers: Record<string, unknown> }): string[] {
  return (response.headers['set-cookie'] as string[] | undefined) ?? [];
}

/**
 * CSRF tokens bound to the session (no secret cookie that can be planted), renewed at sign-in
 * and sign-out, and the cookies' names and attributes. Every attack is checked to change nothing.
 */
describe('dashboard sessions: CSRF and cookies (e2e)', () => {
  let dashboard: TestDashboard;
  let app: NestFastifyApplication;
  let dataSource: DataSource;

  beforeAll(async () => {
    dashboard = await startTestDashboard({ LOGIN_RATE_LIMIT: '1000/15m' });
    ({ app, dataSource } = dashboard);
  });

  afterAll(() => dashboard?.close());

  let counter = 0;
  /** A registered account with one API device besides whatever the dashboard creates. */
  async function account(): Promise<string> {
    const email = `csrf-${++counter}@example.com`;
    await app.get(AuthService).register({ email, password: PASSWORD }, { ip: null, userAgent: null });
    await app.get(AuthService).login({ email, password: PASSWORD }, { name: 'Phone', platform: 'android' }, { ip: null, userAgent: null });
    return email;
  }

  async function signedIn(email: string, into: NestFastifyApplication = app): Promise<DashboardClient> {
    const client = new DashboardClient(into);
    await client.signIn(email, PASSWORD);
    return client;
  }

  /** Every device of the account that is still signed in, and its name: what an attack would change. */
  async function stateOf(email: string): Promise<string[]> {
    const user = await dataSource.getRepository(UserEntity).findOneByOrFail({ email });
    const devices = await dataSource
      .getRepository(DeviceEntity)
      .find({ where: { userId: user.id, revokedAt: IsNull() }, order: { id: 'ASC' } });
    return devices.map((device) => `${device.id} ${device.name}`);
  }

  const deviceIdOf = (page: string) => /data-device-id="([^"]+)"/.exec(page)![1];

  it("binds the sign-in form to a pre-session cookie: without it, or with another browser's, the token is refused", async () => {
    const email = await account();
    const browser = new DashboardClient(app);
    const page = await browser.get('/signin');
    const line = setCookieLines(page).find((candidate) => candidate.startsWith('dashboard_presession='));
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Strict/);
    expect(line).toMatch(/; Path=\//);
    expect(line).toMatch(/; Max-Age=\d+/);
    const token = browser.csrf!;

    const bare = new DashboardClient(app);
    expect((await bare.post('/signin', { email, password: PASSWORD }, token)).status).toBe(403);
    const other = new DashboardClient(app);
    await other.get('/signin');
    expect((await other.post('/signin', { email, password: PASSWORD }, token)).status).toBe(403);
    expect(other.cookies.has('dashboard_access')).toBe(false);
    expect((await browser.post('/signin', { email, password: PASSWORD }, token)).status).toBe(303);
  });

  it('renews the token at sign-in: the pre-sign-in token is refused afterwards, and the pre-session cookie is gone', async () => {
    const email = await account();
    const browser = new DashboardClient(app);
    await browser.get('/signin');
    const preSignIn = browser.csrf!;
    await browser.post('/signin', { email, password: PASSWORD });
    expect(browser.cookies.has('dashboard_presession')).toBe(false);
    const page = await browser.get('/devices');
    expect(browser.csrf).not.toBe(preSignIn);
    const before = await stateOf(email);

    const refused = await browser.post('/devices/revoke-others', {}, preSignIn);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('did not come from this site');
    expect(await stateOf(email)).toEqual(before);
    expect((await browser.post(`/devices/${deviceIdOf(page.text)}/rename`, { name: 'Renamed' }, preSignIn)).status).toBe(403);
    expect(await stateOf(email)).toEqual(before);
  });

  it('refuses a token minted for another session, of the same account or another one', async () => {
    const email = await account();
    const first = await signedIn(email);
    const second = await signedIn(email);
    const stranger = await signedIn(await account());
    expect(first.csrf).not.toBe(second.csrf);
    const before = await stateOf(email);

    for (const token of [first.csrf!, stranger.csrf!]) {
      expect((await second.post('/devices/revoke-others', {}, token)).status).toBe(403);
      expect((await second.post('/signout', {}, token)).status).toBe(403);
    }
    expect(await stateOf(email)).toEqual(before);
    // Its own token works: the refusals above were about the token, nothing else.
    expect((await second.post('/devices/revoke-others')).status).toBe(303);
    expect(await stateOf(email)).toHaveLength(1);
  });

  it('refuses a planted secret cookie with its matching token (what @fastify/csrf-protection accepted)', async () => {
    const email = await account();
    const victim = await signedIn(email);
    const page = await victim.get('/devices');
    const before = await stateOf(email);

    // The attacker's own browser: whatever secret cookie the sign-in form sets, and the token
    // that matches it, planted into the victim's browser (e.g. from a sibling subdomain).
    const attacker = new DashboardClient(app);
    await attacker.get('/signin');
    expect(attacker.cookies.size).toBeGreaterThan(0);
    for (const [name, value] of attacker.cookies) victim.cookies.set(name, value);
    for (const [path, form] of [
      ['/devices/revoke-others', {}],
      [`/devices/${deviceIdOf(page.text)}/rename`, { name: 'Planted' }],
      ['/signout', {}],
    ] as const) {
      expect((await victim.post(path, form, attacker.csrf!)).status).toBe(403);
    }
    expect(await stateOf(email)).toEqual(before);

    // The attacker's own signed-in session's token does not work in the victim's either.
    const attackerSession = await signedIn(await account());
    expect((await victim.post('/devices/revoke-others', {}, attackerSession.csrf!)).status).toBe(403);
    expect(await stateOf(email)).toEqual(before);
  });

  it('renews at sign-out: a new pre-session, and neither the session token nor the old pre-session token works again', async () => {
    const email = await account();
    const browser = new DashboardClient(app);
    await browser.get('/signin');
    const oldPreSession = browser.cookies.get('dashboard_presession');
    const oldPreSignInToken = browser.csrf!;
    await browser.post('/signin', { email, password: PASSWORD });
    await browser.get('/devices');
    const sessionToken = browser.csrf!;

    const signedOut = await browser.post('/signout');
    expect(signedOut.status).toBe(303);
    const renewed = setCookieLines(signedOut).find((line) => line.startsWith('dashboard_presession='));
    expect(renewed).toMatch(/^dashboard_presession=[A-Za-z0-9_-]{43};/);
    expect(browser.cookies.get('dashboard_presession')).not.toBe(oldPreSession);
    expect(browser.cookies.has('dashboard_access')).toBe(false);

    expect((await browser.post('/signin', { email, password: PASSWORD }, oldPreSignInToken)).status).toBe(403);
    expect((await browser.post('/signin', { email, password: PASSWORD }, sessionToken)).status).toBe(403);
    await browser.get('/signin');
    expect(browser.csrf).not.toBe(oldPreSignInToken);
    expect((await browser.post('/signin', { email, password: PASSWORD })).status).toBe(303);
    await browser.get('/devices');
    expect(browser.csrf).not.toBe(sessionToken);
    const before = await stateOf(email);
    expect((await browser.post('/devices/revoke-others', {}, sessionToken)).status).toBe(403);
    expect(await stateOf(email)).toEqual(before);
  });

  it('refuses missing, empty, truncated, extended, repeated and oversized tokens with 403', async () => {
    const email = await account();
    const browser = await signedIn(email);
    const token = browser.csrf!;
    const before = await stateOf(email);
    for (const candidate of [
      null,
      '',
      'x',
      token.slice(0, -1),
      `${token}A`,
      token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase(),
      'A'.repeat(8000),
    ]) {
      expect(`${candidate?.slice(0, 50)} ${(await browser.post('/devices/revoke-others', {}, candidate)).status}`).toBe(
        `${candidate?.slice(0, 50)} 403`,
      );
    }
    for (const body of [`_csrf=${token}&_csrf=${token}`, `_csrf[]=${token}`, `_csrf[a]=${token}`]) {
      expect(`${body} ${(await browser.postRaw('/devices/revoke-others', body)).status}`).toBe(`${body} 403`);
    }
    expect(await stateOf(email)).toEqual(before);
  });

  it('names its cookies __Host-… with Secure, Path=/ and no Domain when COOKIE_SECURE is on', async () => {
    const secure = await createAdminApp({
      env: { DATABASE_URL: dashboard.databaseUrl, JWT_SECRET: TEST_JWT_SECRET, COOKIE_SECURE: 'true' },
      logger: false,
    });
    try {
      const email = await account();
      const browser = new DashboardClient(secure);
      const lines = setCookieLines(await browser.get('/signin'));
      const signIn = await browser.post('/signin', { email, password: PASSWORD });
      expect(signIn.status).toBe(303);
      lines.push(...setCookieLines(signIn));
      expect((await browser.get('/devices')).status).toBe(200);
      lines.push(...setCookieLines(await browser.post('/signout')));

      const names = new Set(lines.map((line) => line.slice(0, line.indexOf('='))));
      expect([...names].sort()).toEqual(['__Host-dashboard_access', '__Host-dashboard_presession', '__Host-dashboard_refresh']);
      for (const line of lines) {
        expect(line).toMatch(/; Secure(;|$)/);
        expect(line).toMatch(/; Path=\/(;|$)/);
        expect(line).toMatch(/; HttpOnly(;|$)/);
        expect(line).toMatch(/; SameSite=Strict(;|$)/);
        expect(line).not.toMatch(/; Domain=/i);
      }

      // The plain names mean nothing there: a session cookie without the prefix is ignored.
      const again = await signedIn(email, secure);
      const plain = new DashboardClient(secure);
      plain.cookies.set('dashboard_access', again.cookies.get('__Host-dashboard_access')!);
      expect((await plain.get('/devices')).status).toBe(303);
      expect((await again.get('/devices')).status).toBe(200);
    } finally {
      await secure.close();
    }
  });

  it('uses plain names without Secure when COOKIE_SECURE is off (browsers refuse __Host- on http)', async () => {
    const email = await account();
    const browser = new DashboardClient(app);
    const lines = setCookieLines(await browser.get('/signin'));
    lines.push(...setCookieLines(await browser.post('/signin', { email, password: PASSWORD })));
    const names = new Set(lines.map((line) => line.slice(0, line.indexOf('='))));
    expect([...names].sort()).toEqual(['dashboard_access', 'dashboard_presession', 'dashboard_refresh']);
    for (const line of lines) expect(line).not.toMatch(/; Secure/);
  });
});
