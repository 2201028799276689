import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { IsNull, type DataSource } from 'typeorm';
import type { TokenResponse } from '@app/auth';
import { DeviceEntity, UserEntity } from '@app/persistence';
import { TestClock } from '../../../test/support/scratch-database.js';
import { LogCapture } from '../../api/test/support/log-capture.js';
import { startTestApi, type TestApi } from '../../api/test/support/test-api.js';
import { DashboardClient } from './support/dashboard-client.js';
import { startTestDashboard, type TestDashboard } from './support/test-dashboard.js';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new passphrase';
/** LOGIN_RATE_LIMIT of both apps: password checks per email and per client IP in 15 minutes. */
const LIMIT = 3;
const STEP_UP_MAX_AGE_S = 120;

/**
 * The dashboard's "Change password" (`/account/password`): the API's `POST /auth/password` as a
 * form. Both apps run on one database, as a deployment runs them; the API is where the new and
 * old passwords are tried. Each test's browser has a client IP of its own (X-Forwarded-For from
 * a trusted proxy), so the sign-in limits it spends are its own.
 */
describe('dashboard: change password (e2e)', () => {
  let api: TestApi;
  let dashboard: TestDashboard;
  let admin: NestFastifyApplication;
  let dataSource: DataSource;
  const clock = new TestClock();
  const logs = new LogCapture();
  let counter = 0;

  beforeAll(async () => {
    const env = { LOGIN_RATE_LIMIT: `${LIMIT}/15m`, TRUST_PROXY: '127.0.0.1' };
    api = await startTestApi(env);
    dashboard = await startTestDashboard(
      { ...env, DATABASE_URL: api.databaseUrl, STEP_UP_MAX_AGE: `${STEP_UP_MAX_AGE_S}s` },
      { clock, logDestination: logs },
    );
    ({ app: admin, dataSource } = dashboard);
  });

  afterAll(async () => {
    await dashboard.close();
    await api.close();
  });

  interface Account {
    readonly email: string;
    /** The client IP of this test's browser and API calls. */
    readonly ip: string;
    /** A phone signed in through the API: the "other device". */
    readonly phone: TokenResponse;
    readonly browser: DashboardClient;
  }

  /** A registered account, a phone signed in through the API, and a browser signed in to the dashboard. */
  async function account(): Promise<Account> {
    const n = ++counter;
    const email = `change-password-${n}@example.com`;
    const ip = `198.51.100.${n}`;
    await api.http().post('/auth/register').set('X-Forwarded-For', ip).send({ email, password: PASSWORD }).expect(201);
    const phone = (await apiLogin(email, PASSWORD, ip).expect(200)).body as TokenResponse;
    const browser = new DashboardClient(admin);
    browser.headers = { 'X-Forwarded-For': ip };
    await browser.signIn(email, PASSWORD);
    return { email, ip, phone, browser };
  }

  function apiLogin(email: string, password: string, ip: string) {
    return api
      .http()
      .post('/auth/login')
      .set('X-Forwarded-For', ip)
      .send({ email, password, device: { name: 'Test phone', platform: 'android' } });
  }

  /** What a change would change: the password hash and which devices are signed in. */
  async function stateOf(email: string): Promise<{ passwordHash: string; devices: string[] }> {
    const user = await dataSource.getRepository(UserEntity).findOneByOrFail({ email });
    const devices = await dataSource.getRepository(DeviceEntity).find({ where: { userId: user.id, revokedAt: IsNull() } });
    return { passwordHash: user.passwordHash, devices: devices.map((device) => device.id).sort() };
  }

  /** The change-password form, its passwords as given (the page's CSRF token unless `csrf` says otherwise). */
  async function change(
    browser: DashboardClient,
    form: { currentPassword?: string; newPassword?: string; confirmation?: string },
    csrf?: string | null,
  ) {
    await browser.get('/account/password');
    const fields = Object.fromEntries(Object.entries(form).filter(([, value]) => value !== undefined)) as Record<string, string>;
    return csrf === undefined ? browser.post('/account/password', fields) : browser.post('/account/password', fields, csrf);
  }

  /** Nothing that was typed into a password field is put back into a page. */
  function expectNoPasswordIn(html: string, ...passwords: string[]): void {
    for (const password of passwords) expect(html).not.toContain(password);
    expect(html).not.toMatch(/type="password"[^>]*value=/);
  }

  it('is linked from the account page and shows the form, with a CSRF token, to the signed-in only', async () => {
    const signedOut = await new DashboardClient(admin).get('/account/password');
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.location).toBe('/signin?next=%2Faccount%2Fpassword');

    const { browser } = await account();
    const accountPage = await browser.get('/account');
    expect(accountPage.text).toContain('<a class="button secondary" href="/account/password">Change password</a>');
    const page = await browser.get('/account/password');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>Change password</h1>');
    expect(page.text).toContain('<form method="post" action="/account/password">');
    expect(page.text).toMatch(/<input type="hidden" name="_csrf" value="[^"]+">/);
    for (const name of ['currentPassword', 'newPassword', 'confirmation'])
      expect(page.text).toMatch(new RegExp(`<input type="password" name="${name}"`));
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).not.toMatch(/<script\b[^>]*>[^<]+<\/script>/i);
  });

  it('changes the password: the new one signs in at the API, the old one does not, the other devices are out, this browser stays', async () => {
    const { email, ip, phone, browser } = await account();
    const before = await stateOf(email);
    expect(before.devices).toHaveLength(2);
    // The sign-in is older than STEP_UP_MAX_AGE: the current password is this form's own step-up.
    clock.advance((STEP_UP_MAX_AGE_S + 60) * 1000);
    try {
      const response = await change(browser, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD });
      expect(response.status).toBe(303);
      expect(response.headers.location).toBe('/account?done=password-changed');
      const accountPage = await browser.get(response.headers.location);
      expect(accountPage.status).toBe(200);
      expect(accountPage.text).toContain('<p class="notice" role="status">Password changed; other devices were signed out.</p>');

      // This browser is still signed in, and the only device left.
      const devices = await browser.get('/devices');
      expect(devices.status).toBe(200);
      expect(devices.text.match(/data-device-id=/g)).toHaveLength(1);
      expect(devices.text).toContain('This browser');
    } finally {
      clock.advance(-(STEP_UP_MAX_AGE_S + 60) * 1000);
    }
    const after = await stateOf(email);
    expect(after.passwordHash).not.toBe(before.passwordHash);
    expect(after.devices).toHaveLength(1);
    expect(before.devices).toContain(after.devices[0]);

    // The phone's session is over; the new password signs in at the API, the old one does not.
    const refused = await api.http().post('/auth/refresh').send({ refresh_token: phone.refresh_token });
    expect(refused.status).toBe(400);
    expect(refused.body.reason).toBe('password_changed');
    expect((await apiLogin(email, PASSWORD, ip)).status).toBe(401);
    expect((await apiLogin(email, NEW_PASSWORD, ip)).status).toBe(200);

    // Recorded like the API's change, and no password reached the log.
    const activity = await browser.get('/activity');
    expect(activity.text).toMatch(/[Pp]assword changed/);
    expect(logs.text).toContain('/account/password');
    expect(logs.text).not.toContain(PASSWORD);
    expect(logs.text).not.toContain(NEW_PASSWORD);
  });

  it('refuses a wrong current password with 403 and the form again: nothing changes', async () => {
    const { email, ip, phone, browser } = await account();
    const before = await stateOf(email);
    const response = await change(browser, {
      currentPassword: 'not my password',
      newPassword: NEW_PASSWORD,
      confirmation: NEW_PASSWORD,
    });
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.text).toContain('<p class="error" role="alert">Your current password is not right. Nothing was changed.</p>');
    expect(response.text).toContain('<form method="post" action="/account/password">');
    expectNoPasswordIn(response.text, 'not my password', NEW_PASSWORD);

    expect(await stateOf(email)).toEqual(before);
    expect((await api.http().post('/auth/refresh').send({ refresh_token: phone.refresh_token })).status).toBe(200);
    expect((await apiLogin(email, NEW_PASSWORD, ip)).status).toBe(401);
    expect((await apiLogin(email, PASSWORD, ip)).status).toBe(200);
    expect((await browser.get('/devices')).status).toBe(200);
  });

  it('refuses a POST without the CSRF token, or with a wrong one, with 403: nothing changes', async () => {
    const { email, browser } = await account();
    const other = await account();
    const before = await stateOf(email);
    const form = { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD };
    for (const csrf of [null, '', 'not-the-token', `${browser.csrf}A`, other.browser.csrf!]) {
      const response = await change(browser, form, csrf);
      expect(`${csrf?.slice(0, 20)} ${response.status}`).toBe(`${csrf?.slice(0, 20)} 403`);
      expect(response.text).toContain('did not come from this site');
    }
    expect(await stateOf(email)).toEqual(before);
    // The refusals were about the token: the same form with it works.
    expect((await change(browser, form)).status).toBe(303);
    expect((await stateOf(email)).passwordHash).not.toBe(before.passwordHash);
  });

  it.each([
    ['a new password shorter than 8', { newPassword: 'short', confirmation: 'short' }, 'New password must be 8 to 128 characters.'],
    [
      'a new password longer than 128',
      { newPassword: 'x'.repeat(129), confirmation: 'x'.repeat(129) },
      'New password must be 8 to 128 characters.',
    ],
    ['no current password', { currentPassword: '' }, 'Current password must be 1 to 128 characters.'],
    ['a confirmation that differs', { confirmation: `${NEW_PASSWORD}!` }, 'The two passwords are not the same.'],
    ['no confirmation', { confirmation: undefined }, 'Confirmation is required.'],
  ])('refuses %s with 400 and says why, without counting it as a password check: nothing changes', async (_, fields, message) => {
    const { email, ip, browser } = await account();
    const before = await stateOf(email);
    const form = { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD, ...fields };
    // More invalid forms than the limit allows password checks: none of them is one.
    for (let i = 0; i <= LIMIT; i++) {
      const response = await change(browser, form);
      expect(response.status).toBe(400);
      expect(response.text).toContain(`<p class="error" role="alert">${message}</p>`);
      expect(response.text).toContain('<form method="post" action="/account/password">');
      expectNoPasswordIn(response.text, PASSWORD, NEW_PASSWORD);
    }
    expect(await stateOf(email)).toEqual(before);
    expect((await apiLogin(email, PASSWORD, ip)).status).toBe(200);
    expect((await change(browser, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD })).status).toBe(303);
  });

  it('counts each current-password check on the sign-in limits before it runs: past them, even the right password gets 429', async () => {
    const { email, ip, browser } = await account();
    const before = await stateOf(email);
    const form = (currentPassword: string) => ({ currentPassword, newPassword: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    for (let i = 0; i < LIMIT; i++) expect((await change(browser, form(`wrong password ${i}`))).status).toBe(403);

    const limited = await change(browser, form(PASSWORD));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.text).toContain('Too many attempts. Wait a little, then try again.');
    expect(limited.text).toContain('<form method="post" action="/account/password">');
    expect(await stateOf(email)).toEqual(before);

    // The same limits as the API's: its sign-ins with this email are refused too, from another IP as well.
    expect((await apiLogin(email, PASSWORD, ip)).status).toBe(429);
    expect((await apiLogin(email, PASSWORD, '203.0.113.99')).status).toBe(429);
    // And the dashboard's failures were counted on this client's IP as well.
    const stranger = `stranger-${counter}@example.com`;
    expect((await apiLogin(stranger, PASSWORD, ip)).status).toBe(429);
    expect(await stateOf(email)).toEqual(before);
  });
});
