import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

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
