import { jest } from '@jest/globals';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TokenResponse } from '@app/auth';
import type { ApiProcess } from '../../../test/support/app-process.js';
import { TEST_JWT_SECRET, type ScratchDatabase } from '../../../test/support/scratch-database.js';
import { apiCall as browserApiCall, describeInChromium, startBrowserTestApps, type BrowserTestApps } from './support/browser.js';
import { waitFor } from '../../../test/support/wait-for.js';
import { runOperatorCommand } from './support/operator-command.js';

const XSS_NAME = '<img src=x onerror=alert(1)>';
const PASSWORD = 'correct horse battery';

// The browser tests need Debian's chromium (.ci/run installs it). Without it they are
// skipped, and say so.
const describeInBrowser = describeInChromium('Dashboard browser tests');

jest.setTimeout(60_000);

describeInBrowser('dashboard in a real browser', () => {
  let apps: BrowserTestApps;
  let database: ScratchDatabase;
  let api: ApiProcess;
  let admin: ApiProcess;
  let browser: Browser;

  beforeAll(async () => {
    apps = await startBrowserTestApps({ REVOCATION_SYNC_INTERVAL: '1s' });
    ({ database, api, admin, browser } = apps);
  }, 60_000);

  afterAll(() => apps?.stop());

  const apiCall = (method: string, path: string, body?: unknown, token?: string): Promise<Response> =>
    browserApiCall(api.url, method, path, body, token);

  async function register(email: string): Promise<void> {
    expect((await apiCall('POST', '/auth/register', { email, password: PASSWORD })).status).toBe(201);
  }

  async function apiLogin(email: string, name: string, platform: string): Promise<TokenResponse> {
    const response = await apiCall('POST', '/auth/login', { email, password: PASSWORD, device: { name, platform } });
    expect(response.status).toBe(200);
    return (await response.json()) as TokenResponse;
  }

  /**
   * Polls until the API refuses the access token (the revocation reached it, by its 1 s sync),
   * within a generous deadline: how soon is the benchmark's, not this test's.
   */
  async function refused(token: string): Promise<void> {
    await waitFor(async () => (await apiCall('GET', '/me', undefined, token)).status === 401, {
      what: 'the API refusing the revoked device token',
    });
  }

  async function signIn(context: BrowserContext, email: string, path = '/devices'): Promise<Page> {
    const page = await context.newPage();
    page.on('dialog', () => {
      throw new Error('a dialog opened: script ran');
    });
    await page.goto(`${admin.url}${path}`);
    expect(new URL(page.url()).pathname).toBe('/signin');
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
    return page;
  }

  const deviceCard = (page: Page, name: string) => page.locator('li.device', { has: page.locator('.device-name', { hasText: name }) });

  it('signs in, shows the devices created through the API, revokes one and the API refuses its token', async () => {
    const email = 'ann@example.com';
    await register(email);
    const pixel = await apiLogin(email, 'Pixel 8', 'android');
    const iphone = await apiLogin(email, 'iPhone', 'ios');
    const hostile = await apiLogin(email, XSS_NAME, 'other');

    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    const page = await signIn(context, email);
    expect(new URL(page.url()).pathname).toBe('/devices');
    expect((await page.locator('h1').textContent())?.trim()).toBe('Your devices');
    for (const name of ['Pixel 8', 'iPhone', XSS_NAME]) expect(await deviceCard(page, name).count()).toBe(1);
    // The dashboard's own device is listed, marked, and of platform web.
    const mine = page.locator('li.device.current');
    expect((await mine.locator('.badge').textContent())?.trim()).toBe('This browser');
    expect((await mine.locator('.platform').textContent())?.trim()).toBe('web');

    // The hostile name is text: no element was made of it, no script ran.
    expect(await page.locator('li.device img').count()).toBe(0);
    expect((await deviceCard(page, XSS_NAME).locator('.device-name').textContent())?.trim()).toBe(XSS_NAME);

    // The README's screenshot: refreshed with UPDATE_SCREENSHOTS=1 npm test, else kept aside.
    const screenshot = process.env.UPDATE_SCREENSHOTS ? 'docs/dashboard-devices.png' : join(tmpdir(), 'dashboard-devices.png');
    expect((await page.screenshot({ path: screenshot, fullPage: true })).length).toBeGreaterThan(10_000);

    // Revoke Pixel 8, through the confirmation page (plain links and forms, no script).
    await Promise.all([page.waitForURL(/\/revoke$/), deviceCard(page, 'Pixel 8').locator('a', { hasText: 'Revoke' }).click()]);
    expect((await page.locator('h1').textContent())?.trim()).toBe('Revoke this device?');
    await Promise.all([page.waitForURL(/\/devices\?done=revoked/), page.click('button:has-text("Revoke")')]);
    expect(await page.locator('.notice').textContent()).toContain('Device revoked');
    expect(await deviceCard(page, 'Pixel 8').count()).toBe(0);
    await refused(pixel.access_token);

    // Rename: the form is folded away in a <details> until its "Rename" summary opens it.
    const iphoneCard = deviceCard(page, 'iPhone');
    const nameField = iphoneCard.locator('details.rename input[name=name]');
    expect(await nameField.isVisible()).toBe(false);
    await iphoneCard.locator('details.rename summary', { hasText: 'Rename' }).click();
    await nameField.waitFor({ state: 'visible' });
    expect(await nameField.inputValue()).toBe('iPhone');
    await nameField.fill('Work iPhone');
    await Promise.all([page.waitForURL(/done=renamed/), iphoneCard.locator('button', { hasText: 'Save name' }).click()]);
    expect((await page.locator('.notice').textContent())?.trim()).toBe('Device renamed.');
    expect(await deviceCard(page, 'Work iPhone').count()).toBe(1);

    // Sign out all others, through its confirmation page, which names them (the hostile one as text).
    await Promise.all([page.waitForURL(/\/devices\/revoke-others$/), page.click('a:has-text("Sign out all other devices")')]);
    expect((await page.locator('h1').textContent())?.trim()).toBe('Sign out all other devices?');
    const others = page.locator('.other-devices li .device-name');
    expect((await others.allTextContents()).map((name) => name.trim()).sort()).toEqual([XSS_NAME, 'Work iPhone'].sort());
    expect(await page.locator('.other-devices img').count()).toBe(0);
    // "Cancel" goes back and signs nobody out.
    await Promise.all([page.waitForURL(/\/devices$/), page.click('a:has-text("Cancel")')]);
    expect(await deviceCard(page, 'Work iPhone').count()).toBe(1);
    await Promise.all([page.waitForURL(/\/devices\/revoke-others$/), page.click('a:has-text("Sign out all other devices")')]);
    await Promise.all([page.waitForURL(/done=revoked-others/), page.click('button:has-text("Sign out 2 other devices")')]);
    expect((await page.locator('.notice').textContent())?.trim()).toBe('Signed out 2 other devices.');
    expect(await page.locator('li.device').count()).toBe(1);
    await refused(iphone.access_token);
    await refused(hostile.access_token);

    // Security activity, readable.
    await Promise.all([page.waitForURL(/\/activity$/), page.click('nav a:has-text("Security activity")')]);
    const events = page.locator('.events .what');
    expect(await events.filter({ hasText: "Device 'Pixel 8' revoked by you from this browser" }).count()).toBe(1);
    expect(await events.filter({ hasText: "Signed in on 'Pixel 8'" }).count()).toBe(1);
    expect(await events.filter({ hasText: "Device renamed to 'Work iPhone' by you from this browser" }).count()).toBe(1);
    expect(await events.filter({ hasText: `Device '${XSS_NAME}' signed out with "Sign out all other devices"` }).count()).toBe(1);

    // Sign out: the browser's own device is revoked and the pages need signing in again.
    await Promise.all([page.waitForURL(/\/signin\?done=signed-out/), page.click('button:has-text("Sign out")')]);
    expect((await page.locator('.notice').textContent())?.trim()).toBe('You are signed out.');
    await page.goto(`${admin.url}/devices`);
    expect(new URL(page.url()).pathname).toBe('/signin');
    await context.close();
  });

  it('refuses a POST without a CSRF token with 403 and changes nothing', async () => {
    const email = 'csrf@example.com';
    await register(email);
    const phone = await apiLogin(email, 'Phone', 'ios');
    const context = await browser.newContext();
    const page = await signIn(context, email);
    expect(new URL(page.url()).pathname).toBe('/devices');

    // The browser's cookies go along (same site); only the token is missing.
    const forged = await page.request.post(`${admin.url}/devices/revoke-others`, { form: {}, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    const wrong = await page.request.post(`${admin.url}/devices/revoke-others`, { form: { _csrf: 'not-the-token' }, maxRedirects: 0 });
    expect(wrong.status()).toBe(403);
    expect((await apiCall('GET', '/me', undefined, phone.access_token)).status).toBe(200);
    await page.reload();
    expect(await deviceCard(page, 'Phone').count()).toBe(1);
    await context.close();
  });

  it('signs out a dashboard whose device was revoked elsewhere, on its next request', async () => {
    const email = 'revoked-browser@example.com';
    await register(email);
    const phone = await apiLogin(email, 'Phone', 'android');
    const context = await browser.newContext();
    const page = await signIn(context, email);
    const devices = (await (await apiCall('GET', '/devices', undefined, phone.access_token)).json()) as {
      devices: { id: string; platform: string }[];
    };
    const web = devices.devices.find((device) => device.platform === 'web')!;
    expect((await apiCall('DELETE', `/devices/${web.id}`, undefined, phone.access_token)).status).toBe(204);
    await page.reload();
    expect(new URL(page.url()).pathname).toBe('/signin');
    await context.close();
  });

  it('sends pages with a strict CSP, no framing, a referrer policy and HttpOnly SameSite cookies, and fits a phone screen', async () => {
    const email = 'headers@example.com';
    await register(email);
    const context = await browser.newContext();
    const page = await signIn(context, email);
    const response = await page.request.get(`${admin.url}/devices`);
    const headers = response.headers();
    expect(headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['referrer-policy']).toBeDefined();
    // Phone-sized: nothing wider than the screen.
    await page.setViewportSize({ width: 360, height: 740 });
    await page.reload();
    // Evaluated in the page (a string, so the Node-side type check needs no DOM types).
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    const cookies = await context.cookies();
    for (const name of ['dashboard_access', 'dashboard_refresh']) {
      const cookie = cookies.find((candidate) => candidate.name === name);
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    }
    await context.close();
  });

  it('never redirects off-site after sign-in', async () => {
    const email = 'redirect@example.com';
    await register(email);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${admin.url}/signin?next=${encodeURIComponent('//evil.example/steal')}`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
    expect(page.url()).toBe(`${admin.url}/devices`);
    await context.close();
  });

  it('shows a wrong password as an error on the sign-in page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${admin.url}/signin`);
    await page.fill('input[name=email]', 'nobody@example.com');
    await page.fill('input[name=password]', 'wrong password');
    const [response] = await Promise.all([
      page.waitForResponse((candidate) => candidate.request().method() === 'POST'),
      page.click('button[type=submit]'),
    ]);
    expect(response.status()).toBe(401);
    expect((await page.locator('.error').textContent())?.trim()).toBe('The email or password is incorrect.');
    await context.close();
  });

  it('lets an operator find a user, see their devices and events, and revoke a device as operator', async () => {
    const email = 'customer@example.com';
    await register(email);
    await register('operator@example.com');
    const granted = await runOperatorCommand({ DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET }, 'grant', 'operator@example.com');
    expect(granted.code).toBe(0);
    const tablet = await apiLogin(email, 'Tablet', 'android');
    const context = await browser.newContext();
    const page = await signIn(context, 'operator@example.com');
    await Promise.all([page.waitForURL(/\/admin\/users$/), page.click('nav a:has-text("Users")')]);
    await page.fill('input[name=email]', 'customer@');
    await Promise.all([page.waitForURL(/email=customer/), page.click('button:has-text("Search")')]);
    await Promise.all([page.waitForURL(/\/admin\/users\/[0-9a-f-]{36}$/), page.click(`.users a:has-text("${email}")`)]);
    expect((await page.locator('h1').textContent())?.trim()).toBe(email);
    await Promise.all([page.waitForURL(/\/revoke$/), deviceCard(page, 'Tablet').locator('a', { hasText: 'Revoke' }).click()]);
    await Promise.all([page.waitForURL(/done=revoked/), page.click('button:has-text("Revoke")')]);
    await refused(tablet.access_token);
    expect(await page.locator('.events .what').filter({ hasText: "Device 'Tablet' revoked by you (operator)" }).count()).toBe(1);

    // An account holder who is not an operator does not see these pages at all.
    const other = await browser.newContext();
    const customer = await signIn(other, email);
    const response = await customer.goto(`${admin.url}/admin/users`);
    expect(response?.status()).toBe(404);
    await other.close();
    await context.close();
  });

  it("shows an operator the overview: a reuse detection, its device's name as text, linked to the account", async () => {
    const email = 'stolen@example.com';
    await register(email);
    const phone = await apiLogin(email, XSS_NAME, 'android');
    // A → B → C, then A again: an ancestor older than the newest's parent is theft, grace or not.
    let token = phone.refresh_token;
    for (let round = 0; round < 2; round++) {
      const response = await apiCall('POST', '/auth/refresh', { refresh_token: token });
      expect(response.status).toBe(200);
      token = ((await response.json()) as TokenResponse).refresh_token;
    }
    const replay = await apiCall('POST', '/auth/refresh', { refresh_token: phone.refresh_token });
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant', reason: 'reused' });

    // The operator of the test before, or a new one when this test runs alone.
    await apiCall('POST', '/auth/register', { email: 'operator@example.com', password: PASSWORD });
    const granted = await runOperatorCommand({ DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET }, 'grant', 'operator@example.com');
    expect(granted.code).toBe(0);
    const context = await browser.newContext();
    const page = await signIn(context, 'operator@example.com');
    await Promise.all([page.waitForURL(/\/admin$/), page.click('nav a:has-text("Overview")')]);
    expect(Number(await page.locator('.count-web').textContent())).toBeGreaterThanOrEqual(1);
    const entry = page.locator('.threats li', { hasText: email });
    await expect(entry.locator('.what').textContent()).resolves.toContain(`Refresh token reuse detected on '${XSS_NAME}'`);
    expect(await page.locator('.threats img').count()).toBe(0);
    await Promise.all([page.waitForURL(/\/admin\/users\/[0-9a-f-]{36}$/), entry.locator('a', { hasText: email }).click()]);
    expect((await page.locator('h1').textContent())?.trim()).toBe(email);
    await context.close();
  });
});
