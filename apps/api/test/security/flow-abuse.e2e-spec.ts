import { IsNull } from 'typeorm';
import { DeviceEntity, RefreshTokenEntity, SecurityEventEntity, UserEntity } from '@app/persistence';
import { bearer, login, refresh, registerAndLogin, startTestApi, type TestApi } from '../support/test-api.js';
import { databaseState } from './support/database-state.js';
import { sendFrom } from './support/send-from.js';
import { expectOAuthError, expectProblem, type WireResponse } from './support/wire.js';

const MINUTE_MS = 60_000;

const wrongLogin = (api: TestApi, email: string) =>
  api
    .http()
    .post('/auth/login')
    .send({ email, password: 'not the password', device: { name: 'Attacker' } });

/** 429, problem+json, and a Retry-After in whole seconds within the window. */
function expectRateLimited(response: WireResponse, windowSeconds: number): void {
  expectProblem(response, 429);
  expect(response.body.type).toBe('urn:problem-type:device-auth:rate-limited');
  expect(response.headers['retry-after']).toMatch(/^\d+$/);
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  expect(Number(response.headers['retry-after'])).toBeLessThanOrEqual(windowSeconds);
}

async function sessionCounts(api: TestApi): Promise<{ devices: number; refreshTokens: number; users: number }> {
  const { devices, refreshTokens, users } = await databaseState(api);
  return { devices, refreshTokens, users };
}

/**
 * LOGIN_RATE_LIMIT=3/15m. Requests come from distinct loopback addresses (sendFrom), so that
 * each case shows which count, the email's or the IP's, did the refusing.
 */
describe('login rate limit (e2e)', () => {
  let api: TestApi;
  let nextAddress = 10;
  /** A client address no earlier request used. */
  const freshIp = () => `127.0.0.${nextAddress++}`;
  const signIn = (ip: string, email: string, password: string, headers: Record<string, string> = {}) =>
    sendFrom(api, ip, 'POST', '/auth/login', { email, password, device: { name: 'Phone' } }, headers);

  beforeAll(async () => {
    api = await startTestApi({ LOGIN_RATE_LIMIT: '3/15m' });
  });

  afterAll(async () => {
    await api.close();
  });

  afterEach(() => {
    api.clock.advance(-(api.clock.now() - Date.now()));
  });

  it('locks an email after 3 failures from 3 different IPs, even for the right password from a 4th, creating no session', async () => {
    const { email, password } = await registerAndLogin(api);
    for (let i = 0; i < 3; i++) expectProblem(await signIn(freshIp(), email, 'wrong password'), 401);
    const before = await sessionCounts(api);
    expectRateLimited(await signIn(freshIp(), email, password), 15 * 60);
    expect(await sessionCounts(api)).toEqual(before);
    // Another account from the same IPs is not affected: the count was the email's.
    const other = await registerAndLogin(api);
    expect((await signIn(`127.0.0.${nextAddress - 1}`, other.email, other.password)).status).toBe(200);
  });

  it('counts an email however it is cased or padded', async () => {
    const { email, password } = await registerAndLogin(api);
    for (const variant of [email.toUpperCase(), `  ${email}  `, email.replace(/^./, (c) => c.toUpperCase())]) {
      expectProblem(await signIn(freshIp(), variant, 'wrong password'), 401);
    }
    expectRateLimited(await signIn(freshIp(), email, password), 15 * 60);
  });

  it('limits an unknown email exactly like a known one (the limiter does not reveal accounts)', async () => {
    const unknown = `nobody-${Date.now()}@example.com`;
    const answers: WireResponse[] = [];
    for (let i = 0; i < 4; i++) answers.push(await signIn(freshIp(), unknown, 'wrong password'));
    expect(answers.map((response) => response.status)).toEqual([401, 401, 401, 429]);
    expectRateLimited(answers[3], 15 * 60);
  });

  it('locks an IP after 3 failures spread over different emails, for every account, while other IPs sign in', async () => {
    const victim = await registerAndLogin(api);
    const sprayer = freshIp();
    for (let i = 0; i < 3; i++) expectProblem(await signIn(sprayer, `spray-${i}-${Date.now()}@example.com`, 'guess'), 401);
    const before = await sessionCounts(api);
    expectRateLimited(await signIn(sprayer, victim.email, victim.password), 15 * 60);
    expect(await sessionCounts(api)).toEqual(before);
    expect((await signIn(freshIp(), victim.email, victim.password)).status).toBe(200);
  });

  it("does not let a spoofed X-Forwarded-For, X-Real-IP or Forwarded header reset an IP's count", async () => {
    const victim = await registerAndLogin(api);
    const sprayer = freshIp();
    for (let i = 0; i < 3; i++) expectProblem(await signIn(sprayer, `spoof-${i}-${Date.now()}@example.com`, 'guess'), 401);
    const spoofs: Array<Record<string, string>> = [
      { 'X-Forwarded-For': '203.0.113.7' },
      { 'X-Real-IP': '198.51.100.1' },
      { Forwarded: 'for=192.0.2.60' },
    ];
    for (const headers of spoofs) expectRateLimited(await signIn(sprayer, victim.email, victim.password, headers), 15 * 60);
  });

  it("counts wrong current passwords on POST /auth/password toward the email's limit", async () => {
    const { email, password, tokens } = await registerAndLogin(api);
    const change = (currentPassword: string) =>
      sendFrom(
        api,
        freshIp(),
        'POST',
        '/auth/password',
        { currentPassword, newPassword: 'attacker-password' },
        { authorization: bearer(tokens) },
      );
    for (let i = 0; i < 3; i++) expectProblem(await change('guess'), 403);
    expectRateLimited(await change(password), 15 * 60);
    expectRateLimited(await signIn(freshIp(), email, password), 15 * 60);
    // The password did not change: the old one signs in once the window is over.
    api.clock.advance(15 * MINUTE_MS + 1000);
    expect((await signIn(freshIp(), email, password)).status).toBe(200);
  });

  it('lets an email and an IP sign in again once the window is over', async () => {
    const { email, password } = await registerAndLogin(api);
    const ip = freshIp();
    for (let i = 0; i < 3; i++) expectProblem(await signIn(ip, email, 'wrong password'), 401);
    expectRateLimited(await signIn(ip, email, password), 15 * 60);
    api.clock.advance(15 * MINUTE_MS + 1000);
    expect((await signIn(ip, email, password)).status).toBe(200);
  });
});

/** REGISTER_RATE_LIMIT=3/1h, per client IP. */
describe('registration rate limit (e2e)', () => {
  let api: TestApi;
  const register = (ip: string, email: string, headers: Record<string, string> = {}) =>
    sendFrom(api, ip, 'POST', '/auth/register', { email, password: 'password-123' }, headers);

  beforeAll(async () => {
    api = await startTestApi({ REGISTER_RATE_LIMIT: '3/1h' });
  });

  afterAll(async () => {
    await api.close();
  });

  it('answers the 4th attempt from one IP within the hour with 429 and Retry-After, creating nothing', async () => {
    expect((await register('127.0.0.2', `first-${Date.now()}@example.com`)).status).toBe(201);
    // Failed attempts count too: each one could have cost an argon2id hash.
    expectProblem(await register('127.0.0.2', 'not-an-email'), 400);
    expect((await register('127.0.0.2', `third-${Date.now()}@example.com`)).status).toBe(201);
    const users = await api.dataSource.getRepository(UserEntity).count();
    expectRateLimited(await register('127.0.0.2', `fourth-${Date.now()}@example.com`), 3600);
    expect(await api.dataSource.getRepository(UserEntity).count()).toBe(users);
  });

  it('is per IP: another address registers, a spoofed X-Forwarded-For does not', async () => {
    expectRateLimited(await register('127.0.0.2', `spoofed-${Date.now()}@example.com`, { 'X-Forwarded-For': '203.0.113.9' }), 3600);
    expect((await register('127.0.0.3', `elsewhere-${Date.now()}@example.com`)).status).toBe(201);
  });

  it('limits only registration: sign-in, refresh and guarded requests from that IP still work', async () => {
    const [user] = await api.dataSource.getRepository(UserEntity).find({ take: 1 });
    const signedIn = await sendFrom(api, '127.0.0.2', 'POST', '/auth/login', {
      email: user.email,
      password: 'password-123',
      device: { name: 'x' },
    });
    expect(signedIn.status).toBe(200);
    expect((await sendFrom(api, '127.0.0.2', 'POST', '/auth/refresh', { refresh_token: signedIn.body.refresh_token })).status).toBe(200);
    expect((await sendFrom(api, '127.0.0.2', 'GET', '/me', undefined, { authorization: bearer(signedIn.body.access_token) })).status).toBe(
      200,
    );
  });

  it('allows registrations again after the window', async () => {
    api.clock.advance(60 * MINUTE_MS + 1000);
    expect((await register('127.0.0.2', `later-${Date.now()}@example.com`)).status).toBe(201);
  });
});

describe('sign-in timing (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });

  afterAll(async () => {
    await api.close();
  });

  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

  it('takes about as long for an unknown email as for a wrong password (no account enumeration)', async () => {
    const { email } = await registerAndLogin(api);
    const timed = async (address: string) => {
      const started = process.hrtime.bigint();
      const response = await wrongLogin(api, address);
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      expectProblem(response, 401);
      return { elapsedMs, body: response.body as unknown };
    };
    await timed(email); // warm-up: JIT, statement cache
    const wrongPassword: number[] = [];
    const unknownEmail: number[] = [];
    const bodies = new Set<string>();
    // Interleaved, so that load from parallel suites hits both sides alike; 15 rounds and a
    // factor of 3 either way, because a skipped hash would be 20x faster, not 3x.
    for (let i = 0; i < 15; i++) {
      const known = await timed(email);
      const unknown = await timed(`ghost-${i}-${Date.now()}@example.com`);
      wrongPassword.push(known.elapsedMs);
      unknownEmail.push(unknown.elapsedMs);
      bodies.add(JSON.stringify(known.body)).add(JSON.stringify(unknown.body));
    }
    const ratio = median(unknownEmail) / median(wrongPassword);
    expect(ratio).toBeGreaterThan(1 / 3);
    expect(ratio).toBeLessThan(3);
    // Both spend an argon2id verification (tens of ms), not a bare lookup.
    expect(median(unknownEmail)).toBeGreaterThan(5);
    expect(bodies.size).toBe(1);
  });
});

describe('refresh-token reuse and races (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });

  afterAll(async () => {
    await api.close();
  });

  afterEach(() => {
    api.clock.advance(-(api.clock.now() - Date.now()));
  });

  const liveTokens = (deviceId: string) => api.dataSource.getRepository(RefreshTokenEntity).countBy({ deviceId, rotatedAt: IsNull() });
  const reuseEvents = (deviceId: string) =>
    api.dataSource.getRepository(SecurityEventEntity).countBy({ deviceId, type: 'refresh_token_reused' });

  it('revokes the device once when a stolen, rotated token is replayed ten times in parallel', async () => {
    const { tokens } = await registerAndLogin(api);
    const rotated = await refresh(api, tokens.refresh_token).expect(200);
    api.clock.advance(11_000);
    const replays = await Promise.all(Array.from({ length: 10 }, () => refresh(api, tokens.refresh_token)));
    for (const replay of replays) expectOAuthError(replay, 400, 'invalid_grant');
    expect(await reuseEvents(tokens.device_id)).toBe(1);
    expect(await liveTokens(tokens.device_id)).toBe(0);
    expectOAuthError(await refresh(api, rotated.body.refresh_token), 400, 'invalid_grant');
    await api.http().get('/me').set('Authorization', bearer(rotated.body)).expect(401);
  });

  it("revokes only the device whose token was replayed: the same user's other device keeps working", async () => {
    const { email, password, tokens } = await registerAndLogin(api);
    const other = await login(api, email, password, { name: 'Other' });
    await refresh(api, tokens.refresh_token).expect(200);
    api.clock.advance(11_000);
    expectOAuthError(await refresh(api, tokens.refresh_token), 400, 'invalid_grant');
    await api.http().get('/me').set('Authorization', bearer(other)).expect(200);
    const next = await refresh(api, other.refresh_token).expect(200);
    expect(next.body.device_id).toBe(other.device_id);
    const device = await api.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: other.device_id });
    expect(device.revokedAt).toBeNull();
  });

  it('keeps at most one live refresh token per device under 20 parallel refreshes, with no 5xx', async () => {
    const { tokens } = await registerAndLogin(api);
    const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(api, tokens.refresh_token)));
    expect(responses.every((response) => response.status === 200)).toBe(true);
    expect(new Set(responses.map((response) => response.body.refresh_token)).size).toBe(1);
    expect(await liveTokens(tokens.device_id)).toBe(1);
    expect(await reuseEvents(tokens.device_id)).toBe(0);
  });

  it("never answers 5xx when a retry of the parent races the child's own rotation, and ends consistent", async () => {
    const { tokens } = await registerAndLogin(api);
    const child = await refresh(api, tokens.refresh_token).expect(200);
    const responses = await Promise.all([
      refresh(api, tokens.refresh_token),
      refresh(api, child.body.refresh_token),
      refresh(api, tokens.refresh_token),
    ]);
    for (const response of responses) {
      expect([200, 400]).toContain(response.status);
      if (response.status === 400) expectOAuthError(response, 400, 'invalid_grant');
    }
    const device = await api.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: tokens.device_id });
    // Either the race was forgiven (one live token) or treated as theft (none, device revoked).
    expect(await liveTokens(tokens.device_id)).toBe(device.revokedAt === null ? 1 : 0);
  });

  it('never answers 5xx when a refresh races a logout, and leaves no usable token behind (25 rounds, staggered)', async () => {
    for (let round = 0; round < 25; round++) {
      const { tokens } = await registerAndLogin(api);
      // Staggered by 0-3 ms either way, so the rounds hit different interleavings.
      const stagger = (round % 7) - 3;
      const later = <T>(ms: number, work: () => PromiseLike<T>) =>
        new Promise<T>((done) => setTimeout(() => done(work()), Math.max(0, ms)));
      const [refreshed, logout] = await Promise.all([
        later(stagger, () => refresh(api, tokens.refresh_token)),
        later(-stagger, () => api.http().post('/auth/logout').set('Authorization', bearer(tokens))),
      ]);
      expect(logout.status).toBe(204);
      expect([200, 400]).toContain(refreshed.status);
      expect({ round, live: await liveTokens(tokens.device_id) }).toEqual({ round, live: 0 });
      if (refreshed.status === 200) {
        expectOAuthError(await refresh(api, refreshed.body.refresh_token), 400, 'invalid_grant');
        await api.http().get('/me').set('Authorization', bearer(refreshed.body)).expect(401);
      } else {
        // Losing to the logout is a revoked session, not theft.
        expect(refreshed.body.reason).toBe('revoked');
      }
      expectOAuthError(await refresh(api, tokens.refresh_token), 400, 'invalid_grant');
    }
  });

  it('refuses every token of a revoked device, descendants included, even within the grace period', async () => {
    const { tokens } = await registerAndLogin(api);
    const second = await refresh(api, tokens.refresh_token).expect(200);
    await api.http().post('/auth/revoke').send({ token: second.body.refresh_token }).expect(200);
    for (const token of [tokens.refresh_token, second.body.refresh_token])
      expectOAuthError(await refresh(api, token), 400, 'invalid_grant');
    await api.http().get('/me').set('Authorization', bearer(second.body)).expect(401);
  });

  it('refuses a refresh token sent as the access token and an access token sent as the refresh token', async () => {
    const { tokens } = await registerAndLogin(api);
    await api.http().get('/me').set('Authorization', `Bearer ${tokens.refresh_token}`).expect(401);
    expectOAuthError(await refresh(api, tokens.access_token), 400);
    // Neither misuse cost the device anything.
    await refresh(api, tokens.refresh_token).expect(200);
  });
});

describe('password change and other devices (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });

  afterAll(async () => {
    await api.close();
  });

  it('spends every refresh token of the other devices, rotated chains and grace retries included', async () => {
    const { email, password, tokens } = await registerAndLogin(api, { name: 'Changer' });
    const tablet = await login(api, email, password, { name: 'Tablet' });
    const laptop = await login(api, email, password, { name: 'Laptop' });
    const tabletNext = await refresh(api, tablet.refresh_token).expect(200);

    await api
      .http()
      .post('/auth/password')
      .set('Authorization', bearer(tokens))
      .send({ currentPassword: password, newPassword: 'an entirely new password' })
      .expect(204);

    // The parent retry would be inside the grace period: still refused.
    for (const token of [tablet.refresh_token, tabletNext.body.refresh_token, laptop.refresh_token]) {
      expectOAuthError(await refresh(api, token), 400, 'invalid_grant');
    }
    for (const access of [tabletNext.body.access_token, laptop.access_token])
      await api.http().get('/me').set('Authorization', `Bearer ${access}`).expect(401);
    const devices = await api.dataSource
      .getRepository(DeviceEntity)
      .findBy({ userId: (await api.dataSource.getRepository(UserEntity).findOneByOrFail({ email })).id });
    const others = devices.filter((device) => device.id !== tokens.device_id);
    expect(others.map((device) => device.revokedReason)).toEqual(['password_changed', 'password_changed']);
    for (const device of others)
      expect(await api.dataSource.getRepository(RefreshTokenEntity).countBy({ deviceId: device.id, rotatedAt: IsNull() })).toBe(0);
    // The caller keeps its session; the old password no longer signs in.
    await refresh(api, tokens.refresh_token).expect(200);
    expectProblem(
      await api
        .http()
        .post('/auth/login')
        .send({ email, password, device: { name: 'x' } }),
      401,
    );
  });

  it('does nothing for a stolen access token without the current password', async () => {
    const { email, password, tokens } = await registerAndLogin(api);
    const other = await login(api, email, password, { name: 'Other' });
    const before = await databaseState(api);
    const response = await api
      .http()
      .post('/auth/password')
      .set('Authorization', bearer(tokens))
      .send({ currentPassword: 'I stole the phone', newPassword: 'attacker-password' });
    expectProblem(response, 403);
    const after = await databaseState(api);
    // Only the failed attempt is recorded; no device or token changed.
    expect({ devices: after.devices, refreshTokens: after.refreshTokens, users: after.users }).toEqual({
      devices: before.devices,
      refreshTokens: before.refreshTokens,
      users: before.users,
    });
    await refresh(api, other.refresh_token).expect(200);
    await login(api, email, password);
  });
});
