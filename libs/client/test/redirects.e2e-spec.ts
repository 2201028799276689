import { startApiCluster, type ApiCluster } from '../../../test/support/app-process.js';
import { AuthClient, AuthHttpError, MemoryStorage, type SignOutReason } from '../src/index.js';
import { ApiProxy } from './support/api-proxy.js';
import { RecordingServer, type RecordedRequest } from './support/recording-server.js';

// Redirects of requests that carry credentials, against the real built API: the proxy in front
// of it answers with redirects (after the API's guard accepted the request, for a guarded
// resource), and a third party on another port records everything that reaches it.

const FOURTEEN_AND_A_HALF_MINUTES = 870_000;

let cluster: ApiCluster;
let api: string;
let proxy: ApiProxy;
let thirdParty: RecordingServer;
let counter = 0;

beforeAll(async () => {
  cluster = await startApiCluster(1, { LOGIN_RATE_LIMIT: '1000/15m', REGISTER_RATE_LIMIT: '100000/1h' });
  api = cluster.processes[0].url;
  proxy = await ApiProxy.start(api);
  thirdParty = await RecordingServer.start();
}, 60_000);

afterEach(() => {
  proxy.clearRedirects();
  thirdParty.requests.length = 0;
});

afterAll(async () => {
  await thirdParty?.close();
  await proxy?.close();
  await cluster?.stop();
});

function testClient(options: { dpop?: boolean; baseUrl?: string; allowedOrigins?: string[] } = {}) {
  const clock = { offset: 0 };
  const client = new AuthClient({ baseUrl: proxy.url, storage: new MemoryStorage(), now: () => Date.now() + clock.offset, ...options });
  const signedOut: SignOutReason[] = [];
  client.on('signedOut', ({ reason }) => signedOut.push(reason));
  return { client, clock, signedOut };
}

async function newAccount(): Promise<{ email: string; password: string }> {
  const account = { email: `redirect${++counter}-${Date.now()}@example.com`, password: 'correct horse battery' };
  const response = await fetch(`${api}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(account),
  });
  expect(response.status).toBe(201);
  return account;
}

async function signedIn(options: { dpop?: boolean; baseUrl?: string; allowedOrigins?: string[] } = {}) {
  const test = testClient(options);
  const account = await newAccount();
  const { deviceId } = await test.client.login({ ...account, device: { name: 'Phone' } });
  return { ...test, account, deviceId };
}

/** The credentials among what the third party received (the first assertion, so a leak names itself). */
function credentialsSeen(requests: RecordedRequest[]): { authorization?: string; dpop?: string | string[]; body: string }[] {
  return requests
    .filter(({ headers, body }) => headers.authorization || headers.dpop || /password|refresh_token|token/.test(body))
    .map(({ headers, body }) => ({ authorization: headers.authorization, dpop: headers.dpop, body }));
}

function proofClaims(proof: string): { htu: string; htm: string; ath?: string } {
  return JSON.parse(Buffer.from(proof.split('.')[1], 'base64url').toString());
}

describe('AuthClient and redirects (e2e)', () => {
  describe('to another origin', () => {
    it.each([
      { session: 'DPoP', dpop: true, method: 'GET', status: 302 },
      { session: 'DPoP', dpop: true, method: 'PATCH', status: 307 },
      { session: 'Bearer', dpop: false, method: 'GET', status: 301 },
      { session: 'Bearer', dpop: false, method: 'PATCH', status: 308 },
    ])(
      '$session session: a guarded resource answering a $method with $status to another origin is returned to the caller, and nothing is sent there',
      async ({ dpop, method, status }) => {
        const { client, deviceId } = await signedIn({ dpop });
        const path = method === 'GET' ? '/me' : `/devices/${deviceId}`;
        const location = `${thirdParty.url}/collect`;
        proxy.redirect({ match: path, status, location, afterServer: true });
        const before = proxy.count(path);

        const response = await client.fetch(
          path,
          method === 'GET' ? {} : { method, headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' },
        );

        expect(credentialsSeen(thirdParty.requests)).toEqual([]);
        expect(thirdParty.requests).toEqual([]);
        expect(response.status).toBe(status);
        expect(response.headers.get('location')).toBe(location);
        expect(proxy.count(path) - before).toBe(1); // the API's guard accepted the request
      },
    );

    it('a same-origin redirect followed by one to another origin: the first is followed, the second returned', async () => {
      const { client } = await signedIn({ dpop: true });
      proxy.redirect({ match: '/devices', status: 302, location: '/me', afterServer: true });
      proxy.redirect({ match: '/me', status: 303, location: `${thirdParty.url}/collect`, afterServer: true });

      const before = { devices: proxy.count('/devices'), me: proxy.count('/me') };

      const response = await client.fetch('/devices');

      expect(credentialsSeen(thirdParty.requests)).toEqual([]);
      expect(thirdParty.requests).toEqual([]);
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(`${thirdParty.url}/collect`);
      // Both hops passed the API's guard: the second with a proof for /me.
      expect([proxy.count('/devices') - before.devices, proxy.count('/me') - before.me]).toEqual([1, 1]);
    });

    it('login redirected to another origin sends it neither the password nor a proof', async () => {
      const account = await newAccount();
      const { client } = testClient({ dpop: true });
      proxy.redirect({ match: '/auth/login', status: 307, location: `${thirdParty.url}/auth/login` });

      const error = await client.login({ ...account, device: { name: 'Phone' } }).catch((error: unknown) => error);

      expect(credentialsSeen(thirdParty.requests)).toEqual([]);
      expect(thirdParty.requests).toEqual([]);
      expect(error).toBeInstanceOf(AuthHttpError);
      expect(error).toMatchObject({ status: 307 });
    });

    it('a refresh redirected to another origin sends it neither the refresh token nor a proof, and the session is kept', async () => {
      const { client, clock, signedOut } = await signedIn({ dpop: true });
      proxy.redirect({ match: '/auth/refresh', status: 308, location: `${thirdParty.url}/auth/refresh` });
      clock.offset = FOURTEEN_AND_A_HALF_MINUTES;

      const error = await client.fetch('/me').catch((error: unknown) => error);

      expect(credentialsSeen(thirdParty.requests)).toEqual([]);
      expect(thirdParty.requests).toEqual([]);
      expect(error).toMatchObject({ name: 'AuthHttpError', status: 308 });

      proxy.clearRedirects();
      expect((await client.fetch('/me')).status).toBe(200);
      expect(signedOut).toEqual([]);
    });

    it('a redirect to one of allowedOrigins is followed with the token and a proof for the new URL', async () => {
      const { client } = await signedIn({ dpop: true, allowedOrigins: [thirdParty.url] });
      proxy.redirect({ match: '/me', status: 302, location: `${thirdParty.url}/profile?x=1`, afterServer: true });

      const response = await client.fetch('/me');

      expect(response.status).toBe(200);
      expect(await response.text()).toBe('third party');
      expect(thirdParty.requests).toHaveLength(1);
      const [{ method, headers }] = thirdParty.requests;
      expect(method).toBe('GET');
      expect(headers.authorization).toMatch(/^DPoP /);
      expect(proofClaims(String(headers.dpop))).toMatchObject({ htu: `${thirdParty.url}/profile`, htm: 'GET', ath: expect.any(String) });
    });
  });

  describe('within the origin', () => {
    it.each([
      { session: 'DPoP', dpop: true },
      { session: 'Bearer', dpop: false },
    ])(
      '$session session: a guarded resource redirecting to another path is followed, with a fresh proof the API accepts',
      async ({ dpop }) => {
        const { client, deviceId } = await signedIn({ dpop });
        proxy.redirect({ match: '/devices', status: 302, location: '/me', afterServer: true });
        const before = { devices: proxy.count('/devices'), me: proxy.count('/me') };

        const response = await client.fetch('/devices');

        expect(response.status).toBe(200);
        expect(((await response.json()) as { deviceId: string }).deviceId).toBe(deviceId);
        expect(proxy.count('/devices') - before.devices).toBe(1);
        expect(proxy.count('/me') - before.me).toBe(1);
      },
    );

    it('307 and 308 keep the method and body, 303 and a POST with 301/302 become a GET', async () => {
      const { client, deviceId } = await signedIn({ dpop: true });
      proxy.redirect({ match: /^\/old\/devices\//, status: 307, location: (target) => target.replace('/old', '') });
      proxy.redirect({ match: /^\/older\/devices\//, status: 308, location: (target) => target.replace('/older', '/old') });
      proxy.redirect({ match: '/see-other', status: 303, location: '/me' });
      proxy.redirect({ match: '/moved', status: 301, location: '/me' });
      proxy.redirect({ match: '/found', status: 302, location: '/me' });
      const rename = (name: string) => ({
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });

      expect((await client.fetch(`/older/devices/${deviceId}`, rename('Renamed twice'))).status).toBe(200);
      const devices = (await (await client.fetch('/devices')).json()) as { devices: { name: string }[] };
      expect(devices.devices.map(({ name }) => name)).toEqual(['Renamed twice']);

      for (const path of ['/see-other', '/moved', '/found']) {
        const response = await client.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        expect({ path, status: response.status }).toEqual({ path, status: 200 });
        expect(((await response.json()) as { deviceId: string }).deviceId).toBe(deviceId);
      }
    });

    it('an API moved under another path: login, requests, refresh and logout follow its 308s with fresh proofs', async () => {
      const moved = await ApiProxy.start(api);
      try {
        moved.redirect({ match: /^\/v1\//, status: 308, location: (target) => target.slice('/v1'.length) });
        const { client, clock, signedOut, deviceId } = await signedIn({ dpop: true, baseUrl: `${moved.url}/v1` });
        expect(((await (await client.fetch('/me')).json()) as { deviceId: string }).deviceId).toBe(deviceId);
        clock.offset = FOURTEEN_AND_A_HALF_MINUTES;
        expect((await client.fetch('/me')).status).toBe(200);
        await client.logout();
        expect(signedOut).toEqual(['logout']);
        expect(
          ['/v1/auth/login', '/auth/login', '/v1/auth/refresh', '/auth/refresh', '/auth/revoke'].map((path) => moved.count(path)),
        ).toEqual([1, 1, 1, 1, 1]);
      } finally {
        await moved.close();
      }
    });

    it('follows at most 5 redirects and returns the sixth to the caller', async () => {
      const { client } = await signedIn({ dpop: true });
      proxy.redirect({ match: '/loop', status: 302, location: '/loop' });
      const before = proxy.count('/loop');

      const response = await client.fetch('/loop');

      expect(response.status).toBe(302);
      expect(proxy.count('/loop') - before).toBe(6);
    });

    it("returns a redirect unfollowed when the request says redirect: 'manual', and rejects on it with redirect: 'error'", async () => {
      const { client } = await signedIn({ dpop: true });
      proxy.redirect({ match: '/devices', status: 302, location: '/me', afterServer: true });
      const before = proxy.count('/me');

      const response = await client.fetch('/devices', { redirect: 'manual' });

      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/me');
      await expect(client.fetch('/devices', { redirect: 'error' })).rejects.toBeInstanceOf(TypeError);
      expect(proxy.count('/me') - before).toBe(0);
    });
  });
});
