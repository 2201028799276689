import { generateKeyPair, generateProof } from 'dpop';
import { startApiCluster, type ApiCluster } from '../../../test/support/app-process.js';
import { AuthClient, DpopNotSupportedError, MemoryStorage, SignedOutError, type SignOutReason } from '../src/index.js';
import { ApiProxy } from './support/api-proxy.js';

// The SDK against the real built API (a spawned `apps/api` process on a scratch database),
// through a proxy that counts what reaches the server.

const GRACE_MS = 2000;
const FOURTEEN_AND_A_HALF_MINUTES = 870_000;

let cluster: ApiCluster;
let api: string;
let proxy: ApiProxy;
let counter = 0;

beforeAll(async () => {
  cluster = await startApiCluster(1, {
    LOGIN_RATE_LIMIT: '1000/15m',
    REGISTER_RATE_LIMIT: '100000/1h',
    REFRESH_REUSE_GRACE: `${GRACE_MS / 1000}s`,
  });
  api = cluster.processes[0].url;
  proxy = await ApiProxy.start(api);
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await cluster?.stop();
});

/** A client whose clock the test can move forward (to make its access token "about to expire"). */
function testClient(
  options: { storage?: MemoryStorage; dpop?: boolean; baseUrl?: string; clock?: { offset: number }; refreshSkew?: number } = {},
) {
  const clock = options.clock ?? { offset: 0 };
  const storage = options.storage ?? new MemoryStorage();
  const client = new AuthClient({
    baseUrl: options.baseUrl ?? proxy.url,
    storage,
    dpop: options.dpop,
    refreshSkew: options.refreshSkew,
    now: () => Date.now() + clock.offset,
  });
  const signedOut: SignOutReason[] = [];
  client.on('signedOut', ({ reason }) => signedOut.push(reason));
  return { client, storage, clock, signedOut };
}

async function newAccount(): Promise<{ email: string; password: string }> {
  const account = { email: `sdk${++counter}-${Date.now()}@example.com`, password: 'correct horse battery' };
  const response = await fetch(`${api}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(account),
  });
  expect(response.status).toBe(201);
  return account;
}

/** Another device of the same user, signed in without the SDK. */
async function otherDevice(account: {
  email: string;
  password: string;
}): Promise<{ access_token: string; refresh_token: string; device_id: string }> {
  const response = await fetch(`${api}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...account, device: { name: 'Other phone' } }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { access_token: string; refresh_token: string; device_id: string };
}

async function storedSession(storage: MemoryStorage): Promise<{ refreshToken: string; tokenType: string; deviceId: string }> {
  return JSON.parse((await storage.getItem('device-auth:session'))!);
}

function rawRefresh(refreshToken: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${api}/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ refresh_token: refreshToken }),
  });
}

/** Calls GET /me until the session ends (revocation reaches the guard within a second). */
async function untilSignedOut(client: AuthClient): Promise<SignedOutError> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      const response = await client.fetch('/me');
      expect(response.status).toBe(200);
    } catch (error) {
      expect(error).toBeInstanceOf(SignedOutError);
      return error as SignedOutError;
    }
    if (Date.now() > deadline) throw new Error('still signed in');
    await new Promise((done) => setTimeout(done, 100));
  }
}

describe('AuthClient against the real API (e2e)', () => {
  it('makes one refresh request for 50 concurrent calls with a token about to expire, and all 50 succeed', async () => {
    const { client, clock } = testClient();
    const { deviceId } = await client.login({ ...(await newAccount()), device: { name: 'Pixel', platform: 'android' } });
    const before = proxy.count('/auth/refresh');
    clock.offset = FOURTEEN_AND_A_HALF_MINUTES; // 30 s left of 15 min: inside the 60 s skew

    const responses = await Promise.all(Array.from({ length: 50 }, () => client.fetch('/me')));

    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
    const bodies = (await Promise.all(responses.map((response) => response.json()))) as { deviceId: string }[];
    expect(new Set(bodies.map((body) => body.deviceId))).toEqual(new Set([deviceId]));
    expect(proxy.count('/auth/refresh') - before).toBe(1);
    // The refreshed token is good for 15 minutes more: the next call needs no refresh.
    expect((await client.fetch('/me')).status).toBe(200);
    expect(proxy.count('/auth/refresh') - before).toBe(1);
  });

  it('does not refresh a fresh token, and with a skew longer than the lifetime refreshes at half of it', async () => {
    const { client, clock } = testClient({ refreshSkew: 3600 });
    await client.login({ ...(await newAccount()), device: { name: 'Phone' } });
    const before = proxy.count('/auth/refresh');
    expect((await client.fetch('/me')).status).toBe(200);
    clock.offset = 6 * 60_000;
    expect((await client.fetch('/me')).status).toBe(200);
    expect(proxy.count('/auth/refresh') - before).toBe(0);
    clock.offset = 8 * 60_000;
    expect((await client.fetch('/me')).status).toBe(200);
    expect((await client.fetch('/me')).status).toBe(200);
    expect(proxy.count('/auth/refresh') - before).toBe(1);
  });

  it('makes one refresh request for two clients sharing one storage with a lock', async () => {
    const clock = { offset: 0 };
    const first = testClient({ clock });
    const second = testClient({ clock, storage: first.storage });
    await first.client.login({ ...(await newAccount()), device: { name: 'Tab 1', platform: 'web' } });
    expect((await second.client.fetch('/me')).status).toBe(200);
    const before = proxy.count('/auth/refresh');
    clock.offset = FOURTEEN_AND_A_HALF_MINUTES;

    const responses = await Promise.all(Array.from({ length: 50 }, (_, index) => (index % 2 ? first : second).client.fetch('/me')));

    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
    expect(proxy.count('/auth/refresh') - before).toBe(1);
    expect(first.signedOut).toEqual([]);
    expect(second.signedOut).toEqual([]);
  });

  it('recovers from a refresh whose answer was lost, without signing the user out', async () => {
    const { client, clock, storage, signedOut } = testClient();
    await client.login({ ...(await newAccount()), device: { name: 'Phone' } });
    const parent = (await storedSession(storage)).refreshToken;
    const before = proxy.count('/auth/refresh');
    proxy.dropNextResponse('/auth/refresh');
    clock.offset = FOURTEEN_AND_A_HALF_MINUTES;

    // The server rotated the token, the client never heard: it retries with the parent,
    // which the reuse grace answers with the same successor.
    expect((await client.fetch('/me')).status).toBe(200);
    expect(proxy.count('/auth/refresh') - before).toBe(2);
    expect((await storedSession(storage)).refreshToken).not.toBe(parent);

    clock.offset += 15 * 60_000;
    const next = await client.fetch('/devices');
    expect(next.status).toBe(200);
    expect(((await next.json()) as { devices: unknown[] }).devices).toHaveLength(1);
    expect(proxy.count('/auth/refresh') - before).toBe(3);
    expect(signedOut).toEqual([]);
  });

  it('fires signedOut with reason revoked after the device is revoked elsewhere, and fetch keeps rejecting', async () => {
    const account = await newAccount();
    const { client, signedOut } = testClient();
    const { deviceId } = await client.login({ ...account, device: { name: 'Revoked phone' } });
    const other = await otherDevice(account);
    const revoked = await fetch(`${api}/devices/${deviceId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${other.access_token}` },
    });
    expect(revoked.status).toBe(204);

    expect((await untilSignedOut(client)).reason).toBe('revoked');
    expect(signedOut).toEqual(['revoked']);
    await expect(client.fetch('/me')).rejects.toMatchObject({ name: 'SignedOutError', reason: 'revoked' });
    expect(await client.isSignedIn()).toBe(false);
    expect(signedOut).toEqual(['revoked']);
  });

  it('fires signedOut with reason password_changed after a password change on another device', async () => {
    const account = await newAccount();
    const { client, signedOut } = testClient();
    await client.login({ ...account, device: { name: 'Old phone' } });
    const other = await otherDevice(account);
    const changed = await fetch(`${api}/auth/password`, {
      method: 'POST',
      headers: { authorization: `Bearer ${other.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ currentPassword: account.password, newPassword: 'a brand new password' }),
    });
    expect(changed.status).toBe(204);

    expect((await untilSignedOut(client)).reason).toBe('password_changed');
    expect(signedOut).toEqual(['password_changed']);
  });

  it('fires signedOut with reason reused when a copied refresh token is replayed after the grace period', async () => {
    const { client, clock, storage, signedOut } = testClient();
    await client.login({ ...(await newAccount()), device: { name: 'Phone' } });
    const stolen = (await storedSession(storage)).refreshToken;
    clock.offset = FOURTEEN_AND_A_HALF_MINUTES;
    expect((await client.fetch('/me')).status).toBe(200); // rotates: the stolen token is spent
    await new Promise((done) => setTimeout(done, GRACE_MS + 1000));
    const replay = await rawRefresh(stolen);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant', reason: 'reused' });

    expect((await untilSignedOut(client)).reason).toBe('reused');
    expect(signedOut).toEqual(['reused']);
  });

  it('fires signedOut with reason invalid for a stored refresh token the server does not know', async () => {
    const storage = new MemoryStorage();
    const unknown = {
      accessToken: 'not-a-jwt',
      tokenType: 'Bearer',
      issuedAt: 0,
      expiresAt: 1,
      refreshToken: 'A'.repeat(43),
      deviceId: 'x',
    };
    await storage.setItem('device-auth:session', JSON.stringify(unknown));
    const { client, signedOut } = testClient({ storage });
    expect(await client.isSignedIn()).toBe(true);
    await expect(client.fetch('/me')).rejects.toMatchObject({ name: 'SignedOutError', reason: 'invalid' });
    expect(signedOut).toEqual(['invalid']);
    expect(JSON.parse((await storage.getItem('device-auth:session'))!)).toEqual({ signedOut: 'invalid' });
  });

  it('signs out with reason logout after logout(), revoking the device at the server', async () => {
    const { client, storage, signedOut } = testClient();
    await client.login({ ...(await newAccount()), device: { name: 'Phone' } });
    const { refreshToken } = await storedSession(storage);
    await client.logout();
    expect(signedOut).toEqual(['logout']);
    await expect(client.fetch('/me')).rejects.toMatchObject({ name: 'SignedOutError', reason: 'logout' });
    expect(await (await rawRefresh(refreshToken)).json()).toMatchObject({ error: 'invalid_grant', reason: 'revoked' });
  });

  it('fails a login with a typed error carrying the status and problem body', async () => {
    const account = await newAccount();
    const { client } = testClient();
    await expect(client.login({ ...account, password: 'not the password', device: { name: 'Phone' } })).rejects.toMatchObject({
      name: 'AuthHttpError',
      status: 401,
      body: { status: 401 },
    });
    await expect(client.fetch('/me')).rejects.toBeInstanceOf(SignedOutError);
  });

  it('refuses to send the token to another origin', async () => {
    const { client } = testClient();
    await client.login({ ...(await newAccount()), device: { name: 'Phone' } });
    await expect(client.fetch('https://elsewhere.example/me')).rejects.toBeInstanceOf(TypeError);
  });

  describe('with dpop: true', () => {
    it('runs the whole flow bound: login, requests with proofs, refresh, logout', async () => {
      const { client, clock, storage, signedOut } = testClient({ dpop: true });
      const { deviceId } = await client.login({ ...(await newAccount()), device: { name: 'Bound phone', platform: 'ios' } });
      expect((await storedSession(storage)).tokenType).toBe('DPoP');

      const devices = await client.fetch('/devices');
      expect(devices.status).toBe(200);
      expect(((await devices.json()) as { devices: unknown[] }).devices).toEqual([
        expect.objectContaining({ id: deviceId, keyBound: true, current: true }),
      ]);

      const before = proxy.count('/auth/refresh');
      clock.offset = FOURTEEN_AND_A_HALF_MINUTES;
      const responses = await Promise.all(Array.from({ length: 20 }, () => client.fetch('/me')));
      expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
      expect(proxy.count('/auth/refresh') - before).toBe(1);
      expect((await storedSession(storage)).tokenType).toBe('DPoP');

      const rename = await client.fetch(`/devices/${deviceId}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Renamed phone' }),
      });
      expect(rename.status).toBe(200);
      await client.logout();
      expect(signedOut).toEqual(['logout']);
    });

    it('keeps the private key non-extractable and out of the string storage', async () => {
      const { client, storage } = testClient({ dpop: true });
      await client.login({ ...(await newAccount()), device: { name: 'Bound phone' } });
      const session = await storedSession(storage);
      const keyPair = await storage.getKey(`device-auth:session:dpop-key:${(session as { keyId?: string }).keyId}`);
      expect(keyPair?.privateKey.extractable).toBe(false);
      expect(JSON.stringify(session)).not.toMatch(/"d"|privateKey/);
    });

    it('the refresh token copied out of storage cannot be used without the key, and the owner stays signed in', async () => {
      const { client, clock, storage, signedOut } = testClient({ dpop: true });
      await client.login({ ...(await newAccount()), device: { name: 'Bound phone' } });
      const copied = (await storedSession(storage)).refreshToken;

      const withoutProof = await rawRefresh(copied);
      expect(withoutProof.status).toBe(400);
      expect(await withoutProof.json()).toMatchObject({ error: 'invalid_dpop_proof' });

      const thiefKey = await generateKeyPair('ES256');
      const withOtherKey = await rawRefresh(copied, { dpop: await generateProof(thiefKey, `${api}/auth/refresh`, 'POST') });
      expect(withOtherKey.status).toBe(400);
      expect(await withOtherKey.json()).toMatchObject({ error: 'invalid_dpop_proof' });

      // A second client given the copied storage contents but not the key cannot go on either.
      const thief = testClient({ dpop: true });
      await thief.storage.setItem('device-auth:session', (await storage.getItem('device-auth:session'))!);
      await expect(thief.client.fetch('/me')).rejects.toMatchObject({ name: 'SignedOutError', reason: 'key_unavailable' });

      clock.offset = FOURTEEN_AND_A_HALF_MINUTES;
      expect((await client.fetch('/me')).status).toBe(200);
      expect(signedOut).toEqual([]);
    });

    it('fails the login with DpopNotSupportedError when the server answers token_type Bearer', async () => {
      const stripping = await ApiProxy.start(api);
      try {
        stripping.stripHeader('dpop');
        const { client } = testClient({ dpop: true, baseUrl: stripping.url });
        await expect(client.login({ ...(await newAccount()), device: { name: 'Phone' } })).rejects.toBeInstanceOf(DpopNotSupportedError);
        await expect(client.fetch('/me')).rejects.toBeInstanceOf(SignedOutError);
      } finally {
        await stripping.close();
      }
    });
  });
});

describe('AuthClient with DPOP_NONCE=true (e2e)', () => {
  let nonceCluster: ApiCluster;

  beforeAll(async () => {
    nonceCluster = await startApiCluster(1, { LOGIN_RATE_LIMIT: '1000/15m', REGISTER_RATE_LIMIT: '100000/1h', DPOP_NONCE: 'true' });
  }, 60_000);

  afterAll(async () => {
    await nonceCluster?.stop();
  });

  it('answers use_dpop_nonce at login, refresh and requests, and runs the flow bound', async () => {
    const url = nonceCluster.processes[0].url;
    const account = { email: `nonce-${Date.now()}@example.com`, password: 'correct horse battery' };
    await fetch(`${url}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(account) });
    const { client, clock, storage, signedOut } = testClient({ dpop: true, baseUrl: url });

    await client.login({ ...account, device: { name: 'Nonce phone' } });
    expect((await storedSession(storage)).tokenType).toBe('DPoP');
    expect((await client.fetch('/me')).status).toBe(200);
    clock.offset = FOURTEEN_AND_A_HALF_MINUTES;
    expect((await client.fetch('/me')).status).toBe(200);
    // A fresh client sharing the storage has no nonce yet: its first request is challenged.
    const second = testClient({ dpop: true, baseUrl: url, storage, clock });
    expect((await second.client.fetch('/devices')).status).toBe(200);
    expect(signedOut).toEqual([]);
  });
});
