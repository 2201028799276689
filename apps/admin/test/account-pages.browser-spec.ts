import { jest } from '@jest/globals';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import type { TokenResponse } from '@app/auth';
import { freePort } from '../../../bench/support/server-process.js';
import type { ApiProcess } from '../../../test/support/app-process.js';
import { MailReceiver, type ReceivedMail } from '../../../test/support/mail-receiver.js';
import {
  apiCall as browserApiCall,
  describeInChromium,
  signInWithPassword,
  startBrowserTestApps,
  type BrowserTestApps,
} from './support/browser.js';

// API.md § Accounts and § Step-up, as a person does it in the dashboard: real API and dashboard
// processes, their mails delivered over SMTP to a real server (smtp-server) and the mailed links
// opened in a real browser (Debian's Chromium, no script: the pages have none).

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new passphrase';
/** Short, so the step-up page shows up for certain once this much time has passed since signing in. */
const STEP_UP_MAX_AGE_S = 3;

const describeInBrowser = describeInChromium('Account pages browser tests');

jest.setTimeout(90_000);

let counter = 0;
// A fresh database for this file: a counter is enough to keep the addresses apart.
const newEmail = (name: string) => `${name}-${++counter}@example.com`;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describeInBrowser('account pages in a real browser (real SMTP)', () => {
  let receiver: MailReceiver;
  let apps: BrowserTestApps;
  let api: ApiProcess;
  let admin: ApiProcess;
  let browser: Browser;

  beforeAll(async () => {
    receiver = await new MailReceiver().start();
    // The dashboard's port is chosen first: mailed links point at it (DASHBOARD_URL).
    const adminPort = await freePort();
    const env = {
      SMTP_URL: receiver.url,
      MAIL_FROM: 'Device Auth <no-reply@auth.example>',
      DASHBOARD_URL: `http://127.0.0.1:${adminPort}`,
      STEP_UP_MAX_AGE: `${STEP_UP_MAX_AGE_S}s`,
    };
    apps = await startBrowserTestApps(env, { adminPort });
    ({ api, admin, browser } = apps);
    expect(admin.url).toBe(env.DASHBOARD_URL);
  }, 90_000);

  afterAll(async () => {
    await apps?.stop();
    await receiver?.stop();
  });

  const apiCall = (method: string, path: string, body?: unknown, token?: string): Promise<Response> =>
    browserApiCall(api.url, method, path, body, token);

  async function register(email: string): Promise<void> {
    expect((await apiCall('POST', '/auth/register', { email, password: PASSWORD })).status).toBe(201);
  }

  async function apiLogin(email: string, password = PASSWORD): Promise<Response> {
    return apiCall('POST', '/auth/login', { email, password, device: { name: 'Test phone', platform: 'android' } });
  }

  async function apiAccount(email: string): Promise<{ email: string; emailVerified: boolean }> {
    const login = await apiLogin(email);
    expect(login.status).toBe(200);
    const { access_token } = (await login.json()) as TokenResponse;
    const response = await apiCall('GET', '/account', undefined, access_token);
    expect(response.status).toBe(200);
    return (await response.json()) as { email: string; emailVerified: boolean };
  }

  /** The first mail to `address` with this subject (waiting for it within a generous deadline). */
  async function mailTo(address: string, subject: string): Promise<ReceivedMail> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const mail = receiver.to(address).find((candidate) => candidate.subject === subject);
      if (mail) return mail;
      if (Date.now() > deadline) throw new Error(`no mail "${subject}" to ${address}: got ${receiver.to(address).map((m) => m.subject)}`);
      await sleep(50);
    }
  }

  /** The mail's link to the dashboard page `path`, with its token. */
  function linkOf(mail: ReceivedMail, path: string): { url: string; token: string } {
    const url = mail.links.find((link) => link.startsWith(`${admin.url}${path}?token=`));
    if (!url) throw new Error(`no ${path} link in "${mail.subject}": ${mail.links.join(' ')}`);
    return { url, token: new URL(url).searchParams.get('token')! };
  }

  async function newPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('dialog', () => {
      throw new Error('a dialog opened: script ran');
    });
    return page;
  }

  /** A new account with a device signed in through the API, and a page in a browser of its own (not signed in). */
  async function accountWithApiDevice(name: string, contextOptions?: BrowserContextOptions) {
    const email = newEmail(name);
    await register(email);
    const apiDevice = (await (await apiLogin(email)).json()) as TokenResponse;
    const context = await browser.newContext(contextOptions);
    const page = await newPage(context);
    return { email, apiDevice, context, page };
  }

  const signIn = (page: Page, email: string, password = PASSWORD) => signInWithPassword(page, admin.url, email, password);

  const heading = async (page: Page) => (await page.locator('main h1').textContent())?.trim();
  const pathOf = (page: Page) => new URL(page.url()).pathname;

  /**
   * Submits a form that needs a recent sign-in (`submit` clicks its button and resolves once the
   * next page has loaded); whenever "Confirm it's you" comes instead, enters the password there,
   * which brings the browser back to the form, and submits again. Returns how often it came.
   */
  async function withStepUp(page: Page, submit: () => Promise<void>, options: { wrongPasswordFirst?: boolean } = {}): Promise<number> {
    let stepUps = 0;
    for (;;) {
      await submit();
      if (pathOf(page) !== '/account/confirm-identity') return stepUps;
      // A busy machine may take longer than STEP_UP_MAX_AGE between the two: then it comes again.
      if (++stepUps > 5) throw new Error('the step-up page keeps coming back');
      expect(await heading(page)).toBe("Confirm it's you");
      if (options.wrongPasswordFirst && stepUps === 1) {
        // A wrong password: the same page again, with why, and nothing goes ahead.
        await page.fill('input[name=password]', 'not my password');
        const [refused] = await Promise.all([
          page.waitForResponse((candidate) => candidate.request().method() === 'POST'),
          page.click('button:has-text("Confirm")'),
        ]);
        expect(refused.status()).toBe(403);
        expect((await page.locator('.error').textContent())?.trim()).toBe('That password is not right.');
        expect(await heading(page)).toBe("Confirm it's you");
      }
      await page.fill('input[name=password]', PASSWORD);
      await Promise.all([page.waitForURL(/done=identity-confirmed/), page.click('button:has-text("Confirm")')]);
      expect((await page.locator('.notice').textContent())?.trim()).toBe('Thank you. You can go ahead now.');
    }
  }

  it('resets a forgotten password from the sign-in page: the mailed link shows a form, the GET spends nothing, the new password signs in', async () => {
    const { email, apiDevice, context, page } = await accountWithApiDevice('forgot', { viewport: { width: 800, height: 600 } });

    await page.goto(`${admin.url}/signin`);
    await Promise.all([page.waitForURL(/\/forgot-password$/), page.click('a:has-text("Forgot password?")')]);
    expect(await heading(page)).toBe('Forgot password');
    // The docs' screenshot: refreshed with UPDATE_SCREENSHOTS=1 npm test, else kept aside.
    const screenshot = process.env.UPDATE_SCREENSHOTS
      ? 'docs/dashboard-forgot-password.png'
      : join(tmpdir(), 'dashboard-forgot-password.png');
    expect((await page.screenshot({ path: screenshot })).length).toBeGreaterThan(5_000);

    await page.fill('input[name=email]', email);
    await Promise.all([page.waitForURL(/\/forgot-password\?done=sent$/), page.click('button:has-text("Send me a link")')]);
    expect(await heading(page)).toBe('Check your mail');

    const { url, token } = linkOf(await mailTo(email, 'Reset your password'), '/reset-password');
    // Opening the link (twice: a mail scanner, then the person) only shows the form.
    for (let round = 0; round < 2; round++) {
      const response = await page.goto(url);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['referrer-policy']).toBe('no-referrer');
      expect(await heading(page)).toBe('Choose a new password');
      expect(await page.locator('input[type=hidden][name=token]').inputValue()).toBe(token);
    }
    // Nothing was spent or changed by the GETs: the old password and the API's device still work.
    expect((await apiLogin(email)).status).toBe(200);
    expect((await apiCall('GET', '/me', undefined, apiDevice.access_token)).status).toBe(200);

    // Two different passwords: the form again, with why, and the link still good.
    await page.fill('input[name=password]', NEW_PASSWORD);
    await page.fill('input[name=confirmation]', `${NEW_PASSWORD}!`);
    const [mismatch] = await Promise.all([
      page.waitForResponse((candidate) => candidate.request().method() === 'POST'),
      page.click('button:has-text("Set the new password")'),
    ]);
    expect(mismatch.status()).toBe(400);
    expect((await page.locator('.error').textContent())?.trim()).toBe('The two passwords are not the same.');
    expect(await page.locator('input[type=hidden][name=token]').inputValue()).toBe(token);

    await page.fill('input[name=password]', NEW_PASSWORD);
    await page.fill('input[name=confirmation]', NEW_PASSWORD);
    await Promise.all([page.waitForURL(/\/signin\?done=password-reset$/), page.click('button:has-text("Set the new password")')]);
    expect((await page.locator('.notice').textContent())?.trim()).toBe(
      'Your password is changed and every device was signed out. Sign in with the new password.',
    );
    // Every device was signed out; the old password is over.
    const refused = await apiCall('POST', '/auth/refresh', { refresh_token: apiDevice.refresh_token });
    expect(refused.status).toBe(400);
    expect((await apiLogin(email)).status).toBe(401);

    await signIn(page, email, NEW_PASSWORD);
    expect(await heading(page)).toBe('Your devices');

    // The link worked once: opened again, its form is refused as an invalid link.
    await page.goto(url);
    await page.fill('input[name=password]', 'yet another passphrase');
    await page.fill('input[name=confirmation]', 'yet another passphrase');
    const [spent] = await Promise.all([
      page.waitForResponse((candidate) => candidate.request().method() === 'POST'),
      page.click('button:has-text("Set the new password")'),
    ]);
    expect(spent.status()).toBe(400);
    expect(await page.locator('a:has-text("Ask for a new password link")').count()).toBe(1);
    expect((await apiLogin(email, NEW_PASSWORD)).status).toBe(200);
    await context.close();
  });

  it('changes the email from the account page, through "Confirm it\'s you" and the link mailed to the new address', async () => {
    const email = newEmail('change');
    const changed = newEmail('changed');
    await register(email);
    const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
    const page = await newPage(context);
    await signIn(page, email);
    const signedInAt = Date.now();

    await Promise.all([page.waitForURL(/\/account$/), page.click('nav a:has-text("Account")')]);
    expect(await heading(page)).toBe('Your account');
    expect((await page.locator('.account .email').textContent())?.trim()).toBe(email);
    expect((await page.locator('.account .badge').textContent())?.trim()).toBe('Not verified');
    const screenshot = process.env.UPDATE_SCREENSHOTS ? 'docs/dashboard-account.png' : join(tmpdir(), 'dashboard-account.png');
    expect((await page.screenshot({ path: screenshot })).length).toBeGreaterThan(5_000);

    await Promise.all([page.waitForURL(/\/account\/email$/), page.click('a:has-text("Change email")')]);
    expect(await heading(page)).toBe('Change email');
    // The sign-in is older than STEP_UP_MAX_AGE by now: the page asks for the password first.
    await sleep(Math.max(0, signedInAt + STEP_UP_MAX_AGE_S * 1000 + 500 - Date.now()));
    const stepUps = await withStepUp(
      page,
      async () => {
        await page.fill('input[name=newEmail]', changed);
        await Promise.all([
          page.waitForLoadState('load'),
          page.waitForURL(/\/account(\/confirm-identity|\?)/),
          page.click('button:has-text("Send the link")'),
        ]);
      },
      { wrongPasswordFirst: true },
    );
    expect(stepUps).toBeGreaterThanOrEqual(1);
    expect(page.url()).toBe(`${admin.url}/account?done=email-change-sent`);
    expect((await page.locator('.notice').textContent())?.trim()).toBe(
      'A confirmation link is on its way to the new address. Nothing changes until you open it.',
    );
    expect((await page.locator('.account .email').textContent())?.trim()).toBe(email);

    const { url, token } = linkOf(await mailTo(changed, 'Confirm your new email address'), '/confirm-email');
    await mailTo(email, 'Your account is changing its email address');
    const landing = await newPage(context);
    const response = await landing.goto(url);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['referrer-policy']).toBe('no-referrer');
    expect(await heading(landing)).toBe('Confirm your new email address');
    expect(await landing.locator('input[type=hidden][name=token]').inputValue()).toBe(token);
    // Opening the link changed nothing yet.
    await page.reload();
    expect((await page.locator('.account .email').textContent())?.trim()).toBe(email);

    await Promise.all([landing.waitForURL(/\/confirm-email$/), landing.click('button:has-text("Use this address")')]);
    expect(await heading(landing)).toBe('Address changed');
    await Promise.all([landing.waitForURL(/\/account$/), landing.click('a:has-text("Go to your account")')]);
    expect((await landing.locator('.account .email').textContent())?.trim()).toBe(changed);
    // The mail proved the address: it is verified, and the header shows it too.
    expect((await landing.locator('.account .badge').textContent())?.trim()).toBe('Verified');
    expect((await landing.locator('header .who').textContent())?.trim()).toBe(changed);
    // The new address signs in; the old one no longer does.
    expect((await apiLogin(changed)).status).toBe(200);
    expect((await apiLogin(email)).status).toBe(401);
    await context.close();
  });

  it('changes the password from the account page: a wrong current one or two different new ones change nothing; then the other devices are out and this browser stays', async () => {
    const { email, apiDevice, context, page } = await accountWithApiDevice('password');
    await signIn(page, email);

    await page.goto(`${admin.url}/account`);
    await Promise.all([page.waitForURL(/\/account\/password$/), page.click('a:has-text("Change password")')]);
    expect(await heading(page)).toBe('Change password');
    const submit = async (current: string, next: string, again: string) => {
      await page.fill('input[name=currentPassword]', current);
      await page.fill('input[name=newPassword]', next);
      await page.fill('input[name=confirmation]', again);
      const [response] = await Promise.all([
        page.waitForResponse((candidate) => candidate.request().method() === 'POST'),
        page.click('main button:has-text("Change password")'),
      ]);
      await page.waitForLoadState('load');
      return response;
    };

    // A wrong current password: the form again, empty, with why.
    expect((await submit('not my password', NEW_PASSWORD, NEW_PASSWORD)).status()).toBe(403);
    expect((await page.locator('.error').textContent())?.trim()).toBe('Your current password is not right. Nothing was changed.');
    expect(await heading(page)).toBe('Change password');
    expect(await page.locator('input[name=currentPassword]').inputValue()).toBe('');
    // Two different new passwords.
    expect((await submit(PASSWORD, NEW_PASSWORD, `${NEW_PASSWORD}!`)).status()).toBe(400);
    expect((await page.locator('.error').textContent())?.trim()).toBe('The two passwords are not the same.');
    const stillIn = await apiCall('POST', '/auth/refresh', { refresh_token: apiDevice.refresh_token });
    expect(stillIn.status).toBe(200);
    const phone = (await stillIn.json()) as TokenResponse;
    expect((await apiLogin(email, NEW_PASSWORD)).status).toBe(401);

    expect((await submit(PASSWORD, NEW_PASSWORD, NEW_PASSWORD)).status()).toBe(303);
    expect(page.url()).toBe(`${admin.url}/account?done=password-changed`);
    expect((await page.locator('.notice').textContent())?.trim()).toBe('Password changed; other devices were signed out.');
    // This browser is still signed in, and the only device left; the phone's session is over.
    await Promise.all([page.waitForURL(/\/devices$/), page.click('nav a:has-text("Your devices")')]);
    expect(await page.locator('li.device').count()).toBe(1);
    expect(await page.locator('li.device.current').count()).toBe(1);
    const ended = await apiCall('POST', '/auth/refresh', { refresh_token: phone.refresh_token });
    expect(ended.status).toBe(400);
    expect(await ended.json()).toMatchObject({ error: 'invalid_grant', reason: 'password_changed' });
    expect((await apiLogin(email)).status).toBe(401);
    expect((await apiLogin(email, NEW_PASSWORD)).status).toBe(200);
    await context.close();
  });

  it('deletes the account through its confirmation page: the browser is signed out and the account cannot sign in again', async () => {
    const { email, apiDevice, context, page } = await accountWithApiDevice('delete');
    await signIn(page, email);

    await page.goto(`${admin.url}/account`);
    await Promise.all([page.waitForURL(/\/account\/delete$/), page.click('a:has-text("Delete account")')]);
    expect(await heading(page)).toBe('Delete your account?');
    // "Cancel" leaves everything as it was.
    await Promise.all([page.waitForURL(/\/account$/), page.click('a:has-text("Cancel")')]);
    expect((await page.locator('.account .email').textContent())?.trim()).toBe(email);
    await Promise.all([page.waitForURL(/\/account\/delete$/), page.click('a:has-text("Delete account")')]);

    await withStepUp(page, async () => {
      await Promise.all([
        page.waitForLoadState('load'),
        page.waitForURL(/\/(signin|account\/confirm-identity)\?/),
        page.click('button:has-text("Delete my account")'),
      ]);
    });
    expect(page.url()).toBe(`${admin.url}/signin?done=account-deleted`);
    expect((await page.locator('.notice').textContent())?.trim()).toBe('Your account is deleted. Every device was signed out.');
    expect(
      (await context.cookies()).filter(
        (cookie) => cookie.name.startsWith('dashboard_access') || cookie.name.startsWith('dashboard_refresh'),
      ),
    ).toEqual([]);
    await page.goto(`${admin.url}/account`);
    expect(pathOf(page)).toBe('/signin');

    // Signing in again fails like any wrong password; the API's devices are gone too.
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', PASSWORD);
    const [response] = await Promise.all([
      page.waitForResponse((candidate) => candidate.request().method() === 'POST'),
      page.click('form button[type=submit]'),
    ]);
    expect(response.status()).toBe(401);
    expect((await page.locator('.error').textContent())?.trim()).toBe('The email or password is incorrect.');
    expect((await apiLogin(email)).status).toBe(401);
    expect((await apiCall('POST', '/auth/refresh', { refresh_token: apiDevice.refresh_token })).status).toBe(400);
    await context.close();
  });

  it('shows a button on the verify-email link and spends nothing on GET: the token still verifies by the button, once', async () => {
    const email = newEmail('verify');
    await register(email);
    const { url, token } = linkOf(await mailTo(email, 'Confirm your email address'), '/verify-email');
    const context = await browser.newContext();
    const page = await newPage(context);
    for (let round = 0; round < 2; round++) {
      const response = await page.goto(url);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['referrer-policy']).toBe('no-referrer');
      expect(await heading(page)).toBe('Confirm your email address');
      expect(await page.locator('input[type=hidden][name=token]').inputValue()).toBe(token);
    }
    expect((await apiAccount(email)).emailVerified).toBe(false);

    await Promise.all([page.waitForURL(/\/verify-email$/), page.click('button:has-text("Confirm my address")')]);
    expect(await heading(page)).toBe('Address confirmed');
    expect((await apiAccount(email)).emailVerified).toBe(true);

    // Spent by that POST: the same link's button now says the link is no good.
    await page.goto(url);
    const [spent] = await Promise.all([
      page.waitForResponse((candidate) => candidate.request().method() === 'POST'),
      page.click('button:has-text("Confirm my address")'),
    ]);
    expect(spent.status()).toBe(400);
    expect(await heading(page)).toBe('That did not work');
    await context.close();
  });
});
