import { calculateThumbprint, generateKeyPair, generateProof, type KeyPair } from 'dpop';
import { createHash } from 'node:crypto';
import { DeviceEntity, LoginAttemptEntity, SecurityEventEntity } from '@app/persistence';
import { decodeJwt, startTestApi, type TestApi } from './support/test-api.js';

/**
 * Device-bound sessions (API.md § Device-bound tokens, RFC 9449), with proofs made by a real
 * client library (panva's `dpop`, WebCrypto keys), never by the server's own code.
 */
const PUBLIC_URL = 'https://auth.example.test';
const PASSWORD = 'correct horse battery';
const DPOP_CHALLENGE = (error: string) => `DPoP error="${error}", algs="ES256 EdDSA Ed25519"`;

let counter = 0;

interface BoundSession {
  readonly keys: KeyPair;
  readonly email: string;
  readonly tokens: { access_token: string; refresh_token: string; token_type: string; device_id: string };
}

describe('DPoP: device-bound sessions (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ PUBLIC_URL });
  });

  afterAll(async () => {
    await api.close();
  });

  const proof = (keys: KeyPair, method: string, path: string, accessToken?: string, nonce?: string) =>
    generateProof(keys, `${PUBLIC_URL}${path}`, method, nonce, accessToken);

  async function register(): Promise<string> {
    const email = `dpop-${++counter}-${Date.now()}@example.com`;
    await api.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201);
    return email;
  }

  async function signInBound(keys?: KeyPair): Promise<BoundSession> {
    const pair = keys ?? (await generateKeyPair('ES256'));
    const email = await register();
    const response = await api
      .http()
      .post('/auth/login')
      .set('DPoP', await proof(pair, 'POST', '/auth/login'))
      .send({ email, password: PASSWORD, device: { name: 'Bound phone' } })
      .expect(200);
    return { keys: pair, email, tokens: response.body };
  }

  const me = async (session: BoundSession, headers: Record<string, string>) => api.http().get('/me').set(headers);
  const dpopMe = async (session: BoundSession, keys = session.keys) =>
    me(session, {
      authorization: `DPoP ${session.tokens.access_token}`,
      dpop: await proof(keys, 'GET', '/me', session.tokens.access_token),
    });
  const refreshWith = (refreshToken: string, dpop?: string) => {
    const request = api.http().post('/auth/refresh').type('form');
    return (dpop ? request.set('DPoP', dpop) : request).send({ grant_type: 'refresh_token', refresh_token: refreshToken });
  };

  it('binds a device at sign-in: token_type DPoP, cnf.jkt of the key, keyBound in the device list', async () => {
    const session = await signInBound();
    expect(session.tokens.token_type).toBe('DPoP');
    expect(decodeJwt(session.tokens.access_token).payload.cnf).toEqual({ jkt: await calculateThumbprint(session.keys.publicKey) });
    const devices = await api
      .http()
      .get('/devices')
      .set({
        authorization: `DPoP ${session.tokens.access_token}`,
        dpop: await proof(session.keys, 'GET', '/devices', session.tokens.access_token),
      })
      .expect(200);
    expect(devices.body.devices).toEqual([expect.objectContaining({ id: session.tokens.device_id, keyBound: true, current: true })]);
  });

  it('binds with an Ed25519 key too', async () => {
    const session = await signInBound(await generateKeyPair('Ed25519'));
    expect(session.tokens.token_type).toBe('DPoP');
    expect((await dpopMe(session)).status).toBe(200);
  });

  it('accepts a bound token only as DPoP with a fresh proof of its key, and refuses it as Bearer', async () => {
    const session = await signInBound();
    expect((await dpopMe(session)).body).toMatchObject({ deviceId: session.tokens.device_id });
    const asBearer = await me(session, { authorization: `Bearer ${session.tokens.access_token}` });
    expect(asBearer.status).toBe(401);
    const noProof = await me(session, { authorization: `DPoP ${session.tokens.access_token}` });
    expect(noProof.status).toBe(401);
    expect(noProof.headers['www-authenticate']).toBe(DPOP_CHALLENGE('invalid_dpop_proof'));
  });

  it('refuses a replayed proof, and proofs for another method, URL or token', async () => {
    const session = await signInBound();
    const token = session.tokens.access_token;
    const once = await proof(session.keys, 'GET', '/me', token);
    expect((await me(session, { authorization: `DPoP ${token}`, dpop: once })).status).toBe(200);
    const cases = [
      once,
      await proof(session.keys, 'POST', '/me', token),
      await proof(session.keys, 'GET', '/devices', token),
      await generateProof(session.keys, `https://elsewhere.example/me`, 'GET', undefined, token),
      await proof(session.keys, 'GET', '/me'),
      await proof(session.keys, 'GET', '/me', `${token}x`),
    ];
    for (const dpop of cases) {
      const refused = await me(session, { authorization: `DPoP ${token}`, dpop });
      expect(refused.status).toBe(401);
      expect(refused.headers['www-authenticate']).toBe(DPOP_CHALLENGE('invalid_dpop_proof'));
    }
  });

  it('answers a valid proof by another key with invalid_token', async () => {
    const session = await signInBound();
    const refused = await dpopMe(session, await generateKeyPair('ES256'));
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe(DPOP_CHALLENGE('invalid_token'));
  });

  it('refuses a proof older than DPOP_PROOF_MAX_AGE (60 s)', async () => {
    const session = await signInBound();
    const stale = await proof(session.keys, 'GET', '/me', session.tokens.access_token);
    api.clock.advance(61_000);
    try {
      expect((await me(session, { authorization: `DPoP ${session.tokens.access_token}`, dpop: stale })).status).toBe(401);
    } finally {
      api.clock.advance(-61_000);
    }
  });

  it('refreshes a bound device only with a proof by its key; without one or with another key nothing is spent', async () => {
    const session = await signInBound();
    const { refresh_token: refreshToken, device_id: deviceId } = session.tokens;
    const missing = await refreshWith(refreshToken).expect(400);
    expect(missing.body.error).toBe('invalid_dpop_proof');
    const stranger = await refreshWith(refreshToken, await proof(await generateKeyPair('ES256'), 'POST', '/auth/refresh')).expect(400);
    expect(stranger.body.error).toBe('invalid_dpop_proof');
    // One event for the run, with its count (API.md § Device-bound tokens, Abuse).
    const events = await api.dataSource.getRepository(SecurityEventEntity).findBy({ deviceId, type: 'dpop_proof_rejected' });
    expect(events.map((event) => event.occurrences)).toEqual([2]);
    // The owner's device still works, and its token was not spent (no reuse detection fired).
    expect((await dpopMe(session)).status).toBe(200);
    const rotated = await refreshWith(refreshToken, await proof(session.keys, 'POST', '/auth/refresh')).expect(200);
    expect(rotated.body.token_type).toBe('DPoP');
    expect(decodeJwt(rotated.body.access_token).payload.cnf).toEqual({ jkt: await calculateThumbprint(session.keys.publicKey) });
    const device = await api.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: deviceId });
    expect(device.revokedAt).toBeNull();
  });

  it('revokes a bound device by its refresh token (RFC 7009) only with a proof by its key: a thief cannot sign the owner out', async () => {
    const session = await signInBound();
    const { refresh_token: refreshToken, device_id: deviceId } = session.tokens;
    const revokeWith = (dpop?: string) => {
      const request = api.http().post('/auth/revoke').type('form');
      return (dpop ? request.set('DPoP', dpop) : request).send({ token: refreshToken });
    };
    expect((await revokeWith().expect(400)).body.error).toBe('invalid_dpop_proof');
    const stranger = await revokeWith(await proof(await generateKeyPair('ES256'), 'POST', '/auth/revoke')).expect(400);
    expect(stranger.body.error).toBe('invalid_dpop_proof');
    const device = await api.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: deviceId });
    expect(device.revokedAt).toBeNull();
    expect((await dpopMe(session)).status).toBe(200);

    await revokeWith(await proof(session.keys, 'POST', '/auth/revoke')).expect(200);
    const revoked = await api.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: deviceId });
    expect(revoked.revokedReason).toBe('token_revoked');
    expect((await dpopMe(session)).status).toBe(401);
  });

  it('leaves bearer devices as they were, and binds one whose refresh carries a valid proof (RFC 9449 §5)', async () => {
    const email = await register();
    const login = await api
      .http()
      .post('/auth/login')
      .send({ email, password: PASSWORD, device: { name: 'Old app' } })
      .expect(200);
    expect(login.body.token_type).toBe('Bearer');
    await api.http().get('/me').set('authorization', `Bearer ${login.body.access_token}`).expect(200);
    const bearerRefresh = await refreshWith(login.body.refresh_token).expect(200);
    expect(bearerRefresh.body.token_type).toBe('Bearer');

    const keys = await generateKeyPair('ES256');
    const bound = await refreshWith(bearerRefresh.body.refresh_token, await proof(keys, 'POST', '/auth/refresh')).expect(200);
    expect(bound.body.token_type).toBe('DPoP');
    const device = await api.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: login.body.device_id });
    expect(device.jkt).toBe(await calculateThumbprint(keys.publicKey));
    await api.http().get('/me').set('authorization', `Bearer ${bound.body.access_token}`).expect(401);
    // From now on the key is needed.
    expect((await refreshWith(bound.body.refresh_token).expect(400)).body.error).toBe('invalid_dpop_proof');
  });

  it('refuses a bound device within a moment of its revocation (here: at once, on this process)', async () => {
    const session = await signInBound();
    await api
      .http()
      .post('/auth/logout')
      .set({
        authorization: `DPoP ${session.tokens.access_token}`,
        dpop: await proof(session.keys, 'POST', '/auth/logout', session.tokens.access_token),
      })
      .expect(204);
    const refused = await dpopMe(session);
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe(DPOP_CHALLENGE('invalid_token'));
    expect((await refreshWith(session.tokens.refresh_token, await proof(session.keys, 'POST', '/auth/refresh'))).body.error).toBe(
      'invalid_grant',
    );
  });

  it('answers a malformed proof at sign-in with 400 problem+json carrying error invalid_dpop_proof, and counts no attempt', async () => {
    const email = await register();
    const response = await api
      .http()
      .post('/auth/login')
      .set('DPoP', 'not.a.proof')
      .send({ email, password: 'wrong password', device: { name: 'x' } })
      .expect(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.error).toBe('invalid_dpop_proof');
    const emailKey = createHash('sha256').update(`email:${email}`).digest('hex');
    expect(await api.dataSource.getRepository(LoginAttemptEntity).countBy({ keyHash: emailKey })).toBe(0);
  });
});

describe('DPoP with DPOP_REQUIRED and DPOP_NONCE (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ PUBLIC_URL, DPOP_REQUIRED: 'true', DPOP_NONCE: 'true' });
  });

  afterAll(async () => {
    await api.close();
  });

  const url = (path: string) => `${PUBLIC_URL}${path}`;

  it('refuses a sign-in without a proof when DPOP_REQUIRED', async () => {
    const email = `required-${Date.now()}@example.com`;
    await api.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201);
    const response = await api
      .http()
      .post('/auth/login')
      .send({ email, password: PASSWORD, device: { name: 'x' } })
      .expect(400);
    expect(response.body.error).toBe('invalid_dpop_proof');
  });

  it('asks for the server nonce (use_dpop_nonce + DPoP-Nonce) at sign-in, refresh and resources, and accepts it', async () => {
    const email = `nonce-${Date.now()}@example.com`;
    await api.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201);
    const keys = await generateKeyPair('ES256');
    const login = (dpop: string) =>
      api
        .http()
        .post('/auth/login')
        .set('DPoP', dpop)
        .send({ email, password: PASSWORD, device: { name: 'x' } });

    const first = await login(await generateProof(keys, url('/auth/login'), 'POST')).expect(400);
    expect(first.body.error).toBe('use_dpop_nonce');
    const nonce = first.headers['dpop-nonce'];
    expect(nonce).toMatch(/^[A-Za-z0-9_-]+$/);
    const tokens = (await login(await generateProof(keys, url('/auth/login'), 'POST', nonce)).expect(200)).body;
    expect(tokens.token_type).toBe('DPoP');

    const withoutNonce = await api
      .http()
      .get('/me')
      .set({
        authorization: `DPoP ${tokens.access_token}`,
        dpop: await generateProof(keys, url('/me'), 'GET', undefined, tokens.access_token),
      })
      .expect(401);
    expect(withoutNonce.headers['www-authenticate']).toBe(DPOP_CHALLENGE('use_dpop_nonce'));
    const fresh = withoutNonce.headers['dpop-nonce'];
    await api
      .http()
      .get('/me')
      .set({ authorization: `DPoP ${tokens.access_token}`, dpop: await generateProof(keys, url('/me'), 'GET', fresh, tokens.access_token) })
      .expect(200);

    const refresh = (dpop: string) => api.http().post('/auth/refresh').set('DPoP', dpop).send({ refresh_token: tokens.refresh_token });
    const askNonce = await refresh(await generateProof(keys, url('/auth/refresh'), 'POST')).expect(400);
    expect(askNonce.body.error).toBe('use_dpop_nonce');
    expect(askNonce.headers['dpop-nonce']).toBeDefined();
    // Asking for a nonce spent nothing and recorded no rejection.
    await refresh(await generateProof(keys, url('/auth/refresh'), 'POST', askNonce.headers['dpop-nonce'])).expect(200);
    expect(await api.dataSource.getRepository(SecurityEventEntity).countBy({ type: 'dpop_proof_rejected' })).toBe(0);
  });

  it('with nonces, bounds freshness by the nonce: a device clock ten minutes behind the server still signs in', async () => {
    const email = `skewed-device-${Date.now()}@example.com`;
    await api.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201);
    const keys = await generateKeyPair('ES256');
    const login = (dpop: string) =>
      api
        .http()
        .post('/auth/login')
        .set('DPoP', dpop)
        .send({ email, password: PASSWORD, device: { name: 'x' } });
    api.clock.advance(10 * 60_000);
    try {
      // The proofs' iat is the device's time, ten minutes before the server's.
      const nonce = (await login(await generateProof(keys, url('/auth/login'), 'POST')).expect(400)).headers['dpop-nonce'];
      await login(await generateProof(keys, url('/auth/login'), 'POST', nonce)).expect(200);
    } finally {
      api.clock.advance(-10 * 60_000);
    }
  });
});
