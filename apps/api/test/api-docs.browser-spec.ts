import { jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startApiProcess, type ApiProcess } from '../../../test/support/app-process.js';
import { scratchDatabase, TEST_JWT_SECRET, type ScratchDatabase } from '../../../test/support/scratch-database.js';

const CHROMIUM = '/usr/bin/chromium';

// Swagger UI runs under its own CSP (serve-api-docs.ts); only a browser tells whether that policy
// lets it render every operation without a single violation. Needs Debian's chromium, as the
// dashboard's browser tests do; skipped (and says so) without it.
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`Swagger UI browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium).`);
const describeInBrowser = haveChromium ? describe : describe.skip;

jest.setTimeout(60_000);

describeInBrowser('Swagger UI at /docs in a real browser', () => {
  let database: ScratchDatabase;
  let api: ApiProcess;
  let browser: Browser;

  beforeAll(async () => {
    database = await scratchDatabase();
    api = await startApiProcess({ DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await database?.remove();
  });

  it('renders every operation of /openapi.json with no CSP violation and no request to another origin', async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    const foreign: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(api.url) && !request.url().startsWith('data:')) foreign.push(request.url());
    });
    try {
      await page.goto(`${api.url}/docs`);
      await page.waitForSelector('.opblock', { timeout: 20_000 });
      const spec = (await (await fetch(`${api.url}/openapi.json`)).json()) as { paths: Record<string, object> };
      const operations = Object.values(spec.paths).reduce((count, item) => count + Object.keys(item).length, 0);
      await page.waitForFunction(`document.querySelectorAll('.opblock').length === ${operations}`, undefined, { timeout: 10_000 });
      expect(await page.locator('.opblock-summary-path[data-path="/devices/{id}"]').count()).toBe(2);
      expect(await page.textContent('.info .title')).toContain('device-auth');
      // Opening an operation and its example renders more of the UI (models, highlighted JSON).
      await page.click('.opblock-summary-path[data-path="/auth/login"]');
      await page.waitForSelector('.opblock.is-open .opblock-body', { timeout: 10_000 });
      await page.click('.opblock.is-open .try-out__btn');
      await page.waitForSelector('.opblock.is-open textarea.body-param__text', { timeout: 10_000 });
      expect(violations).toEqual([]);
      expect(foreign).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
