import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startAppProcess, type ApiProcess } from '../../../../test/support/app-process.js';
import { scratchDatabase, TEST_JWT_SECRET, type ScratchDatabase } from '../../../../test/support/scratch-database.js';

/** Debian's Chromium, as .ci/run installs it (apt-get install chromium). */
export const CHROMIUM = '/usr/bin/chromium';

/** `describe`, or `describe.skip` with a warning naming `what` when Chromium is missing. */
export function describeInChromium(what: string): typeof describe | typeof describe.skip {
  if (existsSync(CHROMIUM)) return describe;
  console.warn(`${what} skipped: no Chromium at ${CHROMIUM} (apt-get install chromium).`);
  return describe.skip;
}

/** Headless Chromium for the dashboard's browser specs, quiet (no background networking or first-run work). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A JSON call to the API (`token`: a bearer access token), as an app would make it. */
export function apiCall(baseUrl: string, method: string, path: string, body?: unknown, token?: string): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** What a browser spec drives: the API and dashboard processes on one scratch database, and Chromium. */
export interface BrowserTestApps {
  readonly database: ScratchDatabase;
  readonly api: ApiProcess;
  readonly admin: ApiProcess;
  readonly browser: Browser;
  /** Closes the browser, stops both processes and removes the database. */
  stop(): Promise<void>;
}

/**
 * A scratch database, the built API on it (it migrates), then the built dashboard (on
 * `adminPort` when given: DASHBOARD_URL may have to name it), then Chromium. Both processes get
 * the test JWT secret and sign-up and sign-in limits no test reaches, and `env` on top. If a
 * step fails, what had started is stopped again.
 */
export async function startBrowserTestApps(env: Record<string, string>, options: { adminPort?: number } = {}): Promise<BrowserTestApps> {
  const database = await scratchDatabase();
  let api: ApiProcess | undefined;
  let admin: ApiProcess | undefined;
  let browser: Browser | undefined;
  const stop = async () => {
    await browser?.close();
    await Promise.all([api?.stop(), admin?.stop()]);
    await database.remove();
  };
  try {
    const appEnv = {
      DATABASE_URL: database.url,
      JWT_SECRET: TEST_JWT_SECRET,
      REGISTER_RATE_LIMIT: '1000/1h',
      LOGIN_RATE_LIMIT: '1000/15m',
      ...env,
    };
    api = await startAppProcess('api', appEnv);
    admin = await startAppProcess('admin', { ...appEnv, MIGRATIONS_RUN: 'false' }, { port: options.adminPort });
    browser = await launchChromium();
    return { database, api, admin, browser, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Signs in with a password on the dashboard's sign-in page, as a person does: lands on the devices page. */
export async function signInWithPassword(page: Page, dashboardUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${dashboardUrl}/signin`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(/\/devices$/), page.click('form button[type=submit]')]);
}
