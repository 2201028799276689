import { generateKeyPair, generateProof, type KeyPair } from 'dpop';
import { DeviceEntity, SecurityEventEntity } from '@app/persistence';
import { startTestApi, type TestApi } from '../support/test-api.js';

const PUBLIC_URL = 'https://auth.example.test';
const PASSWORD = 'correct horse battery';
const GRACE_MS = 10_000;

/**
 * Attacks on key binding (API.md § Device-bound tokens), each the way it was found on the old
 * code, with proofs made by a real client library (panva's `dpop`).
 */
describe('key binding under attack (e2e)', () => {
  let api: TestApi;
  let counter = 0;

  beforeAll(async () => {
    api = await startTestApi({ PUBLIC_URL, LOGIN_RATE_LIMIT: '3/15m' });
  });

  afterAll(async () => {
    await api.close();
  });

  const proof = (keys: KeyPair, method: string, path: string, accessToken?: string) =>
    generateProof(keys, `${PUBLIC_URL}${path}`, method, undefined, accessToken);

  async function register(): Promise<string> {
    const email = `binding-${++counter}-${Date.now()}@example.com`;
    await api.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201);
    return email;
  }

  async function signIn(
    email: string,
    keys?: KeyPair,
  ): Promise<{ access_token: string; refresh_token: string; device_id: string; token_type: string }> {
    const request = api.http().post('/auth/login');
    if (keys) request.set('DPoP', await proof(keys, 'POST', '/auth/login'));
    return (await request.send({ email, password: PASSWORD, device: { name: 'Owner phone' } }).expect(200)).body;
  }

  const refresh = async (refreshToken: string, keys?: KeyPair) => {
    const request = api.http().post('/auth/refresh');
    if (keys) request.set('DPoP', await proof(keys, 'POST', '/auth/refresh'));
    return request.send({ refresh_token: refreshToken });
  };

  const device = (id: string) => api.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id });
  const eventsOf = (deviceId: string, type: SecurityEventEntity['type']) =>
    api.dataSource.getRepository(SecurityEventEntity).findBy({ deviceId, type });

  async function afterGrace(work: () => Promise<void>): Promise<void> {
    api.clock.advance(GRACE_MS + 1_000);
    try {
      await work();
    } finally {
      api.clock.advance(-(GRACE_MS + 1_000));
    }
  }

  describe("a refresh-token thief who binds the owner's bearer device to the thief's key", () => {
    it.each([
      ['presents its spent token without a proof (a bearer app)', false],
      ['presents its spent token with a proof by its own key (an app about to bind)', true],
    ])('loses the session once the owner %s: invalid_grant reused, the device revoked, reuse recorded', async (_case, ownerProves) => {
      const email = await register();
      const owner = await signIn(email);
      expect(owner.token_type).toBe('Bearer');
      const thiefKeys = await generateKeyPair('ES256');
      const stolen = await refresh(owner.refresh_token, thiefKeys);
      expect(stolen.status).toBe(200);
      expect(stolen.body.token_type).toBe('DPoP');

      await afterGrace(async () => {
        const answer = await refresh(owner.refresh_token, ownerProves ? await generateKeyPair('ES256') : undefined);
        expect(answer.status).toBe(400);
        expect(answer.body).toMatchObject({ error: 'invalid_grant', reason: 'reused' });
      });
      expect((await device(owner.device_id)).revokedReason).toBe('refresh_token_reused');
      expect(await eventsOf(owner.device_id, 'refresh_token_reused')).toHaveLength(1);
      // The thief's bound session is over too: its refresh and its access token are refused.
      expect((await refresh(stolen.body.refresh_token, thiefKeys)).body).toMatchObject({ error: 'invalid_grant', reason: 'reused' });
      const me = await api
        .http()
        .get('/me')
        .set({ authorization: `DPoP ${stolen.body.access_token}`, dpop: await proof(thiefKeys, 'GET', '/me', stolen.body.access_token) });
      expect(me.status).toBe(401);
    });

    it('loses it when the owner signs out with its spent token (RFC 7009), whatever proof it lacks', async () => {
      const email = await register();
      const owner = await signIn(email);
      const thiefKeys = await generateKeyPair('ES256');
      expect((await refresh(owner.refresh_token, thiefKeys)).status).toBe(200);
      await afterGrace(async () => {
        await api.http().post('/auth/revoke').type('form').send({ token: owner.refresh_token }).expect(200);
      });
      expect((await device(owner.device_id)).revokedReason).toBe('refresh_token_reused');
    });

    it('within the grace period gets no forgiveness for the owner either: the retry needs the bound key, and nothing is revoked yet', async () => {
      const email = await register();
      const owner = await signIn(email);
      const thiefKeys = await generateKeyPair('ES256');
      const stolen = await refresh(owner.refresh_token, thiefKeys);
      // The owner's retry of its (now spent) token, at once: no copy of the thief's tokens for it.
      const retry = await refresh(owner.refresh_token);
      expect(retry.status).toBe(400);
      expect(retry.body.error).toBe('invalid_dpop_proof');
      expect(retry.body.refresh_token).toBeUndefined();
      // The thief's own grace retry (with its key) is answered with the same live token.
      const thiefRetry = await refresh(owner.refresh_token, thiefKeys);
      expect(thiefRetry.body.refresh_token).toBe(stolen.body.refresh_token);
      expect((await device(owner.device_id)).revokedAt).toBeNull();
    });
  });

  it('binds a device only by the request that spends its live token: a proof with a spent token binds nothing', async () => {
    const email = await register();
    const owner = await signIn(email);
    const rotated = (await refresh(owner.refresh_token)).body;
    // A stranger with the spent parent and a key of their own, within the grace period.
    const strangerKeys = await generateKeyPair('ES256');
    const grace = await refresh(owner.refresh_token, strangerKeys);
    expect(grace.status).toBe(200);
    expect(grace.body.token_type).toBe('Bearer');
    expect((await device(owner.device_id)).jkt).toBeNull();
    expect(grace.body.refresh_token).toBe(rotated.refresh_token);
  });

  it('lets exactly one of two racing binding refreshes bind, and answers the other without a usable token', async () => {
    for (let round = 0; round < 5; round++) {
      const email = await register();
      const owner = await signIn(email);
      const [a, b] = [await generateKeyPair('ES256'), await generateKeyPair('ES256')];
      const answers = await Promise.all([refresh(owner.refresh_token, a), refresh(owner.refresh_token, b)]);
      const won = answers.filter((answer) => answer.status === 200);
      expect(won).toHaveLength(1);
      expect(won[0].body.token_type).toBe('DPoP');
      const lost = answers.find((answer) => answer.status !== 200)!;
      expect(lost.status).toBe(400);
      expect(lost.body.refresh_token).toBeUndefined();
    }
  });

  describe('the replay cache, shared fairly (DPOP_REPLAY_CACHE_SIZE small)', () => {
    let small: TestApi;

    beforeAll(async () => {
      // 160 proofs in all, at most 10 per key (a sixteenth).
      // TRUST_PROXY: each test sends as its own client address (X-Forwarded-For), so one test's
      // failures do not use up another's per-address sign-in window.
      small = await startTestApi({ PUBLIC_URL, DPOP_REPLAY_CACHE_SIZE: '160', LOGIN_RATE_LIMIT: '2/15m', TRUST_PROXY: '1' });
    });

    afterAll(async () => {
      await small.close();
    });

    async function boundSession(keys: KeyPair) {
      const email = `replay-${++counter}-${Date.now()}@example.com`;
      await small.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201);
      const login = await small
        .http()
        .post('/auth/login')
        .set('DPoP', await proof(keys, 'POST', '/auth/login'))
        .send({ email, password: PASSWORD, device: { name: 'Phone' } })
        .expect(200);
      return login.body as { access_token: string };
    }

    const me = async (keys: KeyPair, accessToken: string) =>
      small
        .http()
        .get('/me')
        .set({ authorization: `DPoP ${accessToken}`, dpop: await proof(keys, 'GET', '/me', accessToken) });

    it("answers a key flooding fresh proofs with 429 past its share, while another key's requests keep succeeding", async () => {
      const flooder = await generateKeyPair('ES256');
      const honest = await generateKeyPair('ES256');
      const flooding = await boundSession(flooder);
      const honestSession = await boundSession(honest);
      // A bounded flood: 200 fresh proofs from one key, in parallel, interleaved with the honest key's requests.
      const flood = Array.from({ length: 200 }, async () => me(flooder, flooding.access_token));
      const honestRequests = Array.from({ length: 8 }, async () => me(honest, honestSession.access_token));
      const [flooded, served] = await Promise.all([Promise.all(flood), Promise.all(honestRequests)]);
      expect(served.map((response) => response.status)).toEqual(Array(8).fill(200));
      const statuses = flooded.map((response) => response.status);
      expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(10);
      expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
      const limited = flooded.find((response) => response.status === 429)!;
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Never a 503 for anybody.
      expect(statuses).not.toContain(503);
    });

    it('remembers a sign-in proof only once the attempt was counted: a proof refused with 429 by the rate limit is still fresh', async () => {
      const email = `limited-${++counter}-${Date.now()}@example.com`;
      await small.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201);
      const keys = await generateKeyPair('ES256');
      const wrong = (dpop: string) =>
        small
          .http()
          .post('/auth/login')
          .set({ DPoP: dpop, 'X-Forwarded-For': '203.0.113.10' })
          .send({ email, password: 'wrong password', device: { name: 'x' } });
      // Two wrong passwords use up the email's window (LOGIN_RATE_LIMIT 2/15m) ...
      for (let i = 0; i < 2; i++) expect((await wrong(await proof(keys, 'POST', '/auth/login'))).status).toBe(401);
      // ... so this one is refused before anything else: its proof must not be remembered.
      const kept = await proof(keys, 'POST', '/auth/login');
      expect((await wrong(kept)).status).toBe(429);
      const other = `other-${++counter}-${Date.now()}@example.com`;
      await small.http().post('/auth/register').send({ email: other, password: PASSWORD }).expect(201);
      const login = await small
        .http()
        .post('/auth/login')
        .set({ DPoP: kept, 'X-Forwarded-For': '203.0.113.11' })
        .send({ email: other, password: PASSWORD, device: { name: 'x' } });
      expect(login.status).toBe(200);
      expect(login.body.token_type).toBe('DPoP');
    });
  });

  it('counts refused refreshes of one device: one event for the run (with its count), then 429 with nothing written', async () => {
    const email = await register();
    const ownerKeys = await generateKeyPair('ES256');
    const owner = await signIn(email, ownerKeys);
    const stranger = await generateKeyPair('ES256');
    const answers = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => refresh(owner.refresh_token, i % 2 ? stranger : undefined)),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 400)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(30);
    expect(answers.find((answer) => answer.status === 429)!.headers['retry-after']).toBeDefined();
    const events = await eventsOf(owner.device_id, 'dpop_proof_rejected');
    expect(events).toHaveLength(1);
    expect(events[0].occurrences).toBe(10);
    // Nothing was spent or revoked: the owner's own refresh (with its key) is not limited.
    expect((await device(owner.device_id)).revokedAt).toBeNull();
    expect((await refresh(owner.refresh_token, ownerKeys)).status).toBe(200);
  });
});
