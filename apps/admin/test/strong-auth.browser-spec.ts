import { jest } from '@jest/globals';
import { generate } from 'otplib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { freePort } from '../../../bench/support/server-process.js';
import type { ApiProcess } from '../../../test/support/app-process.js';
import { apiCall, describeInChromium, signInWithPassword, startBrowserTestApps, type BrowserTestApps } from './support/browser.js';

// API.md § Strong authentication, as a person does it in the dashboard: real API and dashboard
// processes, a real Chromium whose WebAuthn is the DevTools virtual authenticator (a platform
// authenticator with user verification, holding discoverable credentials), and an
// authenticator app played by otplib. The relying party is `localhost` (DASHBOARD_URL), a
// secure context over plain HTTP, so the pages are opened at http://localhost:<port>.

const PASSWORD = 'correct horse battery';
/** Short, so "Confirm it's you" shows up for certain once this much time has passed since signing in. */
const STEP_UP_MAX_AGE_S = 2;

const describeInBrowser = describeInChromium('Strong authentication browser tests');

jest.setTimeout(90_000);

let counter = 0;
const newEmail = (name: string) => `${name}-${++counter}@example.com`;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describeInBrowser('passkeys and two-step verification in a real browser', () => {
  let apps: BrowserTestApps;
  let api: ApiProcess;
  let browser: Browser;
  let dashboard: string;

  beforeAll(async () => {
    const adminPort = await freePort();
    dashboard = `http://localhost:${adminPort}`;
    apps = await startBrowserTestApps({ DASHBOARD_URL: dashboard, STEP_UP_MAX_AGE: `${STEP_UP_MAX_AGE_S}s` }, { adminPort });
    ({ api, browser } = apps);
  }, 90_000);

  afterAll(() => apps?.stop());

  async function register(email: string): Promise<void> {
    expect((await apiCall(api.url, 'POST', '/auth/register', { email, password: PASSWORD })).status).toBe(201);
  }

  /** A page whose browser has a passkey-capable platform authenticator (fingerprint accepted at once). */
  async function pageWithAuthenticator(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('dialog', () => {
      throw new Error('a dialog opened');
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return page;
  }

  const signIn = (page: Page, email: string) => signInWithPassword(page, dashboard, email, PASSWORD);

  async function signOut(page: Page): Promise<void> {
    await Promise.all([page.waitForURL(/\/signin\?done=signed-out/), page.click('header button:has-text("Sign out")')]);
  }

  const heading = async (page: Page) => (await page.locator('main h1').textContent())?.trim();
  const pathOf = (page: Page) => new URL(page.url()).pathname;

  /** "Confirm it's you" with the password, which comes back to the page it came from. */
  async function confirmWithPassword(page: Page): Promise<void> {
    expect(pathOf(page)).toBe('/account/confirm-identity');
    expect(await heading(page)).toBe("Confirm it's you");
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL(/done=identity-confirmed/), page.click('button:has-text("Confirm")')]);
  }

  it('adds a passkey through "Confirm it\'s you", signs in with it alone (autofill and button), and confirms identity with it', async () => {
    const email = newEmail('passkey');
    await register(email);
    const context = await browser.newContext({ viewport: { width: 800, height: 700 } });
    const page = await pageWithAuthenticator(context);
    await signIn(page, email);
    await page.goto(`${dashboard}/account`);
    await Promise.all([page.waitForURL(/\/account\/passkeys$/), page.click('a:has-text("Passkeys")')]);
    expect(await heading(page)).toBe('Passkeys');
    expect((await page.locator('.empty').textContent())?.trim()).toBe('No passkeys yet.');
    // The script shows the form (hidden without it) and hides the note that it needs one.
    await page.locator('form[data-passkey-add]').waitFor({ state: 'visible' });
    expect(await page.locator('[data-passkey-needs-script]').isHidden()).toBe(true);

    // The sign-in is older than STEP_UP_MAX_AGE: adding goes through "Confirm it's you" first.
    await sleep(STEP_UP_MAX_AGE_S * 1000 + 500);
    await page.fill('form[data-passkey-add] input[name=name]', 'Work laptop <b>');
    await Promise.all([page.waitForURL(/\/account\/confirm-identity\?return=passkeys$/), page.click('button:has-text("Add a passkey")')]);
    await confirmWithPassword(page);
    expect(pathOf(page)).toBe('/account/passkeys');
    await page.fill('form[data-passkey-add] input[name=name]', 'Work laptop <b>');
    await Promise.all([page.waitForURL(/done=passkey-added$/), page.click('button:has-text("Add a passkey")')]);
    expect((await page.locator('.notice').textContent())?.trim()).toBe('Your passkey is added. You can sign in with it now.');
    expect(await page.locator('.passkey-name').allTextContents()).toEqual(['Work laptop <b>']);
    expect(await page.locator('.passkey dd').nth(1).textContent()).toBe('never');
    const screenshot = process.env.UPDATE_SCREENSHOTS ? 'docs/dashboard-passkeys.png' : join(tmpdir(), 'dashboard-passkeys.png');
    expect((await page.screenshot({ path: screenshot })).length).toBeGreaterThan(5_000);

    // Signed out, the passkey alone signs in: no email, no password, no second factor. First by
    // autofill: the sign-in page asks for a passkey with conditional mediation, and this
    // authenticator (automatic presence) answers at once, as a user picking it would.
    await signOut(page);
    await page.waitForURL(/\/devices$/);
    expect(await heading(page)).toBe('Your devices');
    // Then with the button, in a browser without autofill.
    await page.addInitScript(() => {
      // Runs in the page (a browser global the test's Node types do not know).
      (
        globalThis as unknown as { PublicKeyCredential: { isConditionalMediationAvailable: () => Promise<boolean> } }
      ).PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);
    });
    await signOut(page);
    await page.locator('[data-passkey-sign-in]').waitFor({ state: 'visible' });
    expect(await page.locator('input[name=email]').getAttribute('autocomplete')).toBe('username webauthn');
    await Promise.all([page.waitForURL(/\/devices$/), page.click('button:has-text("Sign in with a passkey")')]);
    expect(await heading(page)).toBe('Your devices');
    await page.goto(`${dashboard}/account/passkeys`);

    // Later, a sensitive form again: "Confirm it's you" with the passkey instead of the password.
    await sleep(STEP_UP_MAX_AGE_S * 1000 + 500);
    await Promise.all([page.waitForURL(/\/account\/confirm-identity\?return=passkeys$/), page.click('button:has-text("Remove")')]);
    await page.locator('[data-passkey-reauth]').waitFor({ state: 'visible' });
    await Promise.all([page.waitForURL(/\/account\/passkeys\?done=identity-confirmed$/), page.click('button:has-text("Use a passkey")')]);
    // The passkey was used (its last use is shown), and the removal now goes ahead at once.
    expect(await page.locator('.passkey dd').nth(1).textContent()).not.toBe('never');
    await Promise.all([page.waitForURL(/done=passkey-removed$/), page.click('button:has-text("Remove")')]);
    expect((await page.locator('.empty').textContent())?.trim()).toBe('No passkeys yet.');
    await signOut(page);
    await context.close();
  });

  it("turns two-step verification on from the QR page's key, shows the recovery codes once, then asks for the code at sign-in", async () => {
    const email = newEmail('totp');
    await register(email);
    const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
    const page = await pageWithAuthenticator(context);
    await signIn(page, email);
    await page.goto(`${dashboard}/account/two-step`);
    expect(await heading(page)).toBe('Two-step verification');
    await page.click('button:has-text("Turn on two-step verification")');
    await page.waitForLoadState();
    if (pathOf(page) === '/account/confirm-identity') {
      await confirmWithPassword(page);
      await page.click('button:has-text("Turn on two-step verification")');
      await page.waitForLoadState();
    }
    expect(await heading(page)).toBe('Turn on two-step verification');
    expect(await page.locator('.qr svg').count()).toBe(1);
    const secret = ((await page.locator('code.secret').textContent()) ?? '').replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const screenshot = process.env.UPDATE_SCREENSHOTS ? 'docs/dashboard-totp.png' : join(tmpdir(), 'dashboard-totp.png');
    expect((await page.screenshot({ path: screenshot })).length).toBeGreaterThan(5_000);

    const now = Math.floor(Date.now() / 1000);
    await page.fill('input[name=code]', await generate({ secret, epoch: now }));
    await Promise.all([page.waitForURL(/\/account\/two-step\/confirm$/), page.click('button:has-text("Turn on")')]);
    expect(await heading(page)).toBe('Save your recovery codes');
    const codes = (await page.locator('.recovery-codes code').allTextContents()).map((code) => code.trim());
    expect(codes).toHaveLength(10);
    // Shown once: the page of the factor has none of them.
    await page.goto(`${dashboard}/account/two-step`);
    const html = await page.content();
    for (const code of codes) expect(html).not.toContain(code);
    expect(await page.locator('button:has-text("Turn off two-step verification")').count()).toBe(1);
    await signOut(page);

    // The password alone does not sign in any more: the code comes next (the next time step's:
    // the one that confirmed is spent).
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('form button[type=submit]');
    await page.waitForLoadState();
    expect(await heading(page)).toBe('Two-step verification');
    expect(await page.locator('input[name=code]').getAttribute('autocomplete')).toBe('one-time-code');
    await page.fill('input[name=code]', '000000');
    await page.click('button:has-text("Verify")');
    await page.waitForLoadState();
    expect((await page.locator('.error').textContent())?.trim()).toBe(
      'That code is not right, or it was used already. Try the current code.',
    );
    await page.fill('input[name=code]', await generate({ secret, epoch: now + 30 }));
    await Promise.all([page.waitForURL(/\/devices$/), page.click('button:has-text("Verify")')]);
    expect(await heading(page)).toBe('Your devices');
    await context.close();
  });
});
