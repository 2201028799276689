import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { startApiCluster, type ApiCluster } from '../../../test/support/app-process.js';
import { ApiProxy } from './support/api-proxy.js';
import { RecordingServer } from './support/recording-server.js';

// The built package in headless Chromium against the real API: browser fetch, WebCrypto
// non-extractable keys kept in IndexedDB across a reload, Web Locks between two instances.

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`Client SDK browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium).`);
const describeInBrowser = haveChromium ? describe : describe.skip;

describeInBrowser('@device-auth/client in a browser (e2e)', () => {
  let cluster: ApiCluster;
  let proxy: ApiProxy;
  let browser: Browser;
  let thirdParty: RecordingServer;

  beforeAll(async () => {
    // The test loads dist/ as a browser would; build it from the current source first.
    await promisify(execFile)(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', 'libs/client/tsconfig.build.json']);
    cluster = await startApiCluster(1, { LOGIN_RATE_LIMIT: '1000/15m' });
    proxy = await ApiProxy.start(cluster.processes[0].url);
    proxy.serve('/sdk/', 'libs/client/dist');
    proxy.serve('/dpop/', 'node_modules/dpop/build');
    proxy.serve('/page/', 'libs/client/test/support');
    thirdParty = await RecordingServer.start();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await thirdParty?.close();
    await proxy?.close();
    await cluster?.stop();
  });

  it('signs in bound, survives a reload with the key in IndexedDB, shares one refresh between instances, and logs out', async () => {
    const account = { email: `browser-${Date.now()}@example.com`, password: 'correct horse battery' };
    const registered = await fetch(`${proxy.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(account),
    });
    expect(registered.status).toBe(201);
    const page = await browser.newPage();
    const open = async () => {
      await page.goto(`${proxy.url}/page/browser-page.html`);
      await page.waitForFunction('window.sdkReady === true');
    };

    await open();
    expect(await page.evaluate(`window.sdkTest.login(${JSON.stringify(account.email)}, ${JSON.stringify(account.password)})`)).toEqual({
      status: 200,
      tokenType: 'DPoP',
      extractable: false,
    });

    await open(); // a reload: a new document, the same localStorage and IndexedDB
    const before = proxy.count('/auth/refresh');
    const afterReload = (await page.evaluate('window.sdkTest.afterReload()')) as {
      devices: { keyBound: boolean; current: boolean }[];
      statuses: number[];
      signedOut: string[];
    };
    expect(afterReload.devices).toEqual([expect.objectContaining({ keyBound: true, current: true, platform: 'web' })]);
    expect(afterReload.statuses).toEqual(Array(20).fill(200));
    expect(proxy.count('/auth/refresh') - before).toBe(1);
    expect(afterReload.signedOut).toEqual([]);

    // Redirects are returned unfollowed as opaqueredirect (the script cannot read them): nothing
    // reaches another origin, and a same-origin one is not followed with the old proof either.
    proxy.redirect({ match: '/elsewhere', status: 302, location: `${thirdParty.url}/collect` });
    proxy.redirect({ match: '/devices', status: 307, location: '/me', afterServer: true });
    const opaque = { type: 'opaqueredirect', status: 0, location: null };
    expect(await page.evaluate(`window.sdkTest.redirected('/elsewhere')`)).toEqual(opaque);
    expect(await page.evaluate(`window.sdkTest.redirected('/devices')`)).toEqual(opaque);
    expect(thirdParty.requests).toEqual([]);
    proxy.clearRedirects();

    expect(await page.evaluate('window.sdkTest.logout()')).toEqual({
      rejected: true,
      reason: 'logout',
      signedOut: ['logout'],
      stored: JSON.stringify({ signedOut: 'logout' }),
    });
    await page.close();
  }, 90_000);
});
