import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { IsNull, type DataSource } from 'typeorm';
import { AuthService } from '@app/auth';
import { DeviceEntity, UserEntity } from '@app/persistence';
import { TestClock } from '../../../test/support/scratch-database.js';
import { DashboardClient } from './support/dashboard-client.js';
import { startTestDashboard, type TestDashboard } from './support/test-dashboard.js';

const PASSWORD = 'correct horse battery';
const HOSTILE_NAME = '<script>alert(1)</script>';
const STEP_UP_MAX_AGE_S = 120;

/**
 * "Sign out all other devices" goes through a confirmation page (`GET /devices/revoke-others`)
 * that names the devices it signs out; its button posts to `POST /devices/revoke-others`, which
 * still needs a recent sign-in and a CSRF token.
 */
describe('dashboard: sign out all other devices, after a confirmation page (e2e)', () => {
  let dashboard: TestDashboard;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  const clock = new TestClock();
  let counter = 0;

  beforeAll(async () => {
    dashboard = await startTestDashboard({ LOGIN_RATE_LIMIT: '1000/15m', STEP_UP_MAX_AGE: `${STEP_UP_MAX_AGE_S}s` }, { clock });
    ({ app, dataSource } = dashboard);
  });

  afterAll(() => dashboard?.close());

  /** An account with the given devices signed in through the API, and a browser signed in to the dashboard. */
  async function signedIn(...deviceNames: string[]): Promise<{ email: string; browser: DashboardClient }> {
    const email = `revoke-others-${++counter}@example.com`;
    const auth = app.get(AuthService);
    await auth.register({ email, password: PASSWORD }, { ip: null, userAgent: null });
    for (const name of deviceNames)
      await auth.login({ email, password: PASSWORD }, { name, platform: 'ios' }, { ip: null, userAgent: null });
    const browser = new DashboardClient(app);
    await browser.signIn(email, PASSWORD);
    return { email, browser };
  }

  /** The account's signed-in devices, by name: what signing out would change. */
  async function activeDevices(email: string): Promise<string[]> {
    const user = await dataSource.getRepository(UserEntity).findOneByOrFail({ email });
    const devices = await dataSource.getRepository(DeviceEntity).find({ where: { userId: user.id, revokedAt: IsNull() } });
    return devices.map((device) => `${device.platform} ${device.name}`).sort();
  }

  it('sends a signed-out visitor to sign-in, remembering the page', async () => {
    const response = await new DashboardClient(app).get('/devices/revoke-others');
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/signin?next=%2Fdevices%2Frevoke-others');
  });

  it('links the devices page\'s "Sign out all other devices" to the confirmation page instead of posting', async () => {
    const { browser } = await signedIn('Phone');
    const page = await browser.get('/devices');
    expect(page.text).toContain('<a class="button danger" href="/devices/revoke-others">Sign out all other devices</a>');
    expect(page.text).not.toContain('action="/devices/revoke-others"');
  });

  it('names the other devices it will sign out, escaped, and changes nothing by being shown', async () => {
    const { email, browser } = await signedIn('Phone', HOSTILE_NAME);
    const before = await activeDevices(email);
    expect(before).toHaveLength(3);

    const page = await browser.get('/devices/revoke-others');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>Sign out all other devices?</h1>');
    expect(page.text).toContain('2 other devices will be signed out');
    const listed = [...page.text.matchAll(/<span class="device-name">([^<]*)<\/span>/g)].map((match) => match[1]).sort();
    expect(listed).toEqual(['&lt;script&gt;alert(1)&lt;/script&gt;', 'Phone']);
    expect(page.text).not.toContain(HOSTILE_NAME);
    // This browser is not among them.
    expect(page.text).toContain('This browser stays signed in.');
    expect(page.text.match(/<li>/g)).toHaveLength(2);

    // A form posting to POST /devices/revoke-others with the session's CSRF token, and a way back.
    expect(page.text).toMatch(
      /<form method="post" action="\/devices\/revoke-others">\s*<input type="hidden" name="_csrf" value="[^"]+">\s*<button type="submit" class="danger">Sign out 2 other devices<\/button>\s*<a class="button secondary" href="\/devices">Cancel<\/a>/,
    );
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).not.toMatch(/<script\b[^>]*>[^<]+<\/script>/i);
    expect(await activeDevices(email)).toEqual(before);
  });

  it('signs out every other device on confirming; this browser stays signed in', async () => {
    const { email, browser } = await signedIn('Phone', 'Tablet');
    await browser.get('/devices/revoke-others');
    const response = await browser.post('/devices/revoke-others');
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/devices?done=revoked-others&count=2');
    const devices = await browser.get(response.headers.location);
    expect(devices.status).toBe(200);
    expect(devices.text).toContain('Signed out 2 other devices.');
    expect(devices.text.match(/data-device-id=/g)).toHaveLength(1);
    expect(devices.text).toContain('This browser');
    expect(await activeDevices(email)).toEqual([expect.stringMatching(/^web /)]);

    // Nothing left to sign out: no button on either page.
    expect(devices.text).not.toContain('href="/devices/revoke-others"');
    const confirmation = await browser.get('/devices/revoke-others');
    expect(confirmation.status).toBe(200);
    expect(confirmation.text).toContain('No other device is signed in to your account.');
    expect(confirmation.text).not.toContain('action="/devices/revoke-others"');
  });

  it('refuses the POST without the CSRF token, or with a wrong one, with 403: nothing changes', async () => {
    const { email, browser } = await signedIn('Phone');
    const stranger = await signedIn('Other phone');
    const before = await activeDevices(email);
    await browser.get('/devices/revoke-others');
    for (const csrf of [null, '', 'not-the-token', stranger.browser.csrf!]) {
      const response = await browser.post('/devices/revoke-others', {}, csrf);
      expect(`${csrf?.slice(0, 20)} ${response.status}`).toBe(`${csrf?.slice(0, 20)} 403`);
      expect(response.text).toContain('did not come from this site');
    }
    expect(await activeDevices(email)).toEqual(before);
  });

  it('still needs a recent sign-in to sign the others out: "Confirm it\'s you" brings the browser back to the confirmation page', async () => {
    const { email, browser } = await signedIn('Phone', 'Tablet');
    const before = await activeDevices(email);
    clock.advance((STEP_UP_MAX_AGE_S + 60) * 1000);
    try {
      await browser.get('/devices/revoke-others');
      const refused = await browser.post('/devices/revoke-others');
      expect(refused.status).toBe(303);
      expect(refused.headers.location).toBe('/account/confirm-identity?return=revoke-others');
      expect(await activeDevices(email)).toEqual(before);

      await browser.get(refused.headers.location);
      const confirmed = await browser.post('/account/confirm-identity?return=revoke-others', { password: PASSWORD });
      expect(confirmed.status).toBe(303);
      expect(confirmed.headers.location).toBe('/devices/revoke-others?done=identity-confirmed');
      const page = await browser.get(confirmed.headers.location);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Thank you. You can go ahead now.');
      expect(page.text).toContain('Sign out 2 other devices');
      expect(await activeDevices(email)).toEqual(before);

      const done = await browser.post('/devices/revoke-others');
      expect(done.status).toBe(303);
      expect(done.headers.location).toBe('/devices?done=revoked-others&count=2');
      expect(await activeDevices(email)).toEqual([expect.stringMatching(/^web /)]);
    } finally {
      clock.advance(-(STEP_UP_MAX_AGE_S + 60) * 1000);
    }
  });
});
