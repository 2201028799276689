import { createHmac } from 'node:crypto';
import { RefreshTokenPruner } from '@app/auth';
import { DeviceEntity, RefreshTokenEntity, SecurityEventEntity, UserEntity } from '@app/persistence';
import {
  bearer,
  decodeJwt,
  login,
  refresh,
  registerAndLogin,
  startTestApi,
  TEST_JWT_SECRET,
  waitFor,
  type TestApi,
} from './support/test-api.js';

const DAY_MS = 86_400_000;

describe('auth (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });

  afterAll(async () => {
    await api.close();
  });

  describe('service info', () => {
    it('answers GET / with name and version, without a token', async () => {
      const response = await api.http().get('/').expect(200);
      expect(response.body).toEqual({ name: 'device-auth', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    });

    it('answers GET /health with ok while the database is reachable', async () => {
      await api.http().get('/health').expect(200, { status: 'ok' });
    });

    it('publishes an empty JWK set under HS256', async () => {
      await api.http().get('/.well-known/jwks.json').expect(200, { keys: [] });
    });
  });

  describe('POST /auth/register', () => {
    it('creates an account with a trimmed, lower-cased email and stores only an argon2id hash', async () => {
      const response = await api
        .http()
        .post('/auth/register')
        .send({ email: '  New.User@Example.COM ', password: 'password-123' })
        .expect(201);
      expect(response.body).toEqual({ id: expect.any(String), email: 'new.user@example.com' });
      const user = await api.dataSource.getRepository(UserEntity).findOneByOrFail({ id: response.body.id });
      expect(user.passwordHash).toMatch(/^\$argon2id\$/);
      expect(user.passwordHash).not.toContain('password-123');
    });

    it('rejects a second account for the same email, compared case-insensitively, with 409', async () => {
      await api.http().post('/auth/register').send({ email: 'twice@example.com', password: 'password-123' }).expect(201);
      const response = await api.http().post('/auth/register').send({ email: 'TWICE@example.com', password: 'password-456' }).expect(409);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ status: 409, title: 'Conflict', type: expect.any(String), detail: expect.any(String) });
    });

    it.each([
      [{ email: 'not-an-email', password: 'password-123' }, 'email'],
      [{ email: 'short@example.com', password: 'seven77' }, 'password'],
      [{ email: 'long@example.com', password: 'x'.repeat(129) }, 'password'],
      [{ email: 'extra@example.com', password: 'password-123', admin: true }, 'admin'],
      [{ email: 'types@example.com', password: 12345678 }, 'password'],
    ])('rejects %p with a 400 naming %s', async (body, field) => {
      const response = await api.http().post('/auth/register').send(body).expect(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });

    it('accepts passwords of exactly 8 and 128 characters', async () => {
      await api.http().post('/auth/register').send({ email: 'min@example.com', password: '12345678' }).expect(201);
      await api
        .http()
        .post('/auth/register')
        .send({ email: 'max@example.com', password: 'y'.repeat(128) })
        .expect(201);
    });
  });

  describe('POST /auth/login', () => {
    it('returns the RFC 6749 token response, with no-store, for a new device', async () => {
      const { email, password } = await registerAndLogin(api);
      const response = await api
        .http()
        .post('/auth/login')
        .set('User-Agent', 'ExampleApp/1.0 (iPhone)')
        .send({ email: email.toUpperCase(), password, device: { name: '  Ann’s iPhone  ', platform: 'ios' } })
        .expect(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 900,
        refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        refresh_token_expires_in: expect.any(Number),
        device_id: expect.any(String),
      });
      expect(response.body.refresh_token_expires_in).toBeGreaterThan(30 * 86_400 - 10);
      const device = await api.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: response.body.device_id });
      expect(device).toMatchObject({ name: 'Ann’s iPhone', platform: 'ios', userAgent: 'ExampleApp/1.0 (iPhone)', revokedAt: null });
      expect(device.ip).toEqual(expect.any(String));
    });

    it('signs an access token with pinned header and the claims API.md lists', async () => {
      const { userId, tokens } = await registerAndLogin(api);
      const { header, payload } = decodeJwt(tokens.access_token);
      expect(header).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: api.config.signingKeys.static!.id });
      expect(payload).toEqual({
        iss: api.config.jwt.issuer,
        aud: api.config.jwt.audience,
        sub: userId,
        sid: tokens.device_id,
        jti: expect.any(String),
        iat: expect.any(Number),
        exp: (payload.iat as number) + 900,
        auth_time: expect.any(Number),
        amr: ['pwd'],
      });
      // The sign-in was a password authentication, when the token was issued (in the same second, or the one before).
      expect((payload.iat as number) - (payload.auth_time as number)).toBeGreaterThanOrEqual(0);
      expect((payload.iat as number) - (payload.auth_time as number)).toBeLessThanOrEqual(1);
    });

    it('stores the refresh token only as a hash', async () => {
      const { tokens } = await registerAndLogin(api);
      const rows = await api.dataSource.getRepository(RefreshTokenEntity).findBy({ deviceId: tokens.device_id });
      expect(rows).toHaveLength(1);
      expect(rows[0].tokenHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(rows)).not.toContain(tokens.refresh_token);
    });

    it('answers a wrong password and an unknown email with the same 401', async () => {
      const { email } = await registerAndLogin(api);
      const wrongPassword = await api
        .http()
        .post('/auth/login')
        .send({ email, password: 'wrong password', device: { name: 'x' } })
        .expect(401);
      const unknownEmail = await api
        .http()
        .post('/auth/login')
        .send({ email: 'nobody@example.com', password: 'wrong password', device: { name: 'x' } })
        .expect(401);
      expect(wrongPassword.body).toEqual(unknownEmail.body);
      expect(wrongPassword.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('records successful and failed sign-ins as security events', async () => {
      const { email, userId, tokens } = await registerAndLogin(api);
      await api
        .http()
        .post('/auth/login')
        .send({ email, password: 'wrong password', device: { name: 'x' } })
        .expect(401);
      // The failure is recorded just after its answer has left (so its time does not tell the account exists).
      const events = () => api.dataSource.getRepository(SecurityEventEntity).findBy({ userId });
      await waitFor(async () => (await events()).length === 3, 2000);
      expect((await events()).map((event) => event.type).sort()).toEqual(['login', 'login_failed', 'registered']);
      expect((await events()).find((event) => event.type === 'login')).toMatchObject({
        deviceId: tokens.device_id,
        deviceName: 'Test phone',
      });
    });

    it.each([
      [{ name: '' }, 'device.name'],
      [{ name: '   ' }, 'device.name'],
      [{ name: 'x'.repeat(65) }, 'device.name'],
      [{ name: 'bad\u0007name' }, 'device.name'],
      [{ name: 'Phone', platform: 'windows' }, 'device.platform'],
    ])('rejects device %p with a 400 naming %s', async (device, field) => {
      const { email, password } = await registerAndLogin(api);
      const response = await api.http().post('/auth/login').send({ email, password, device }).expect(400);
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });

    it('accepts any script and 64 characters in a device name, and duplicate names', async () => {
      const { email, password } = await registerAndLogin(api, { name: 'Phone' });
      const other = await login(api, email, password, { name: 'Phone' });
      expect(other.device_id).toEqual(expect.any(String));
      await login(api, email, password, { name: 'Телефон 电话 📱' });
      await login(api, email, password, { name: 'é'.repeat(64) });
    });

    it('requires a device', async () => {
      const { email, password } = await registerAndLogin(api);
      const response = await api.http().post('/auth/login').send({ email, password }).expect(400);
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'device' })]));
    });
  });

  describe('GET /me and the guard', () => {
    it('answers from the verified token', async () => {
      const { userId, tokens } = await registerAndLogin(api);
      const response = await api.http().get('/me').set('Authorization', bearer(tokens)).expect(200);
      const { payload } = decodeJwt(tokens.access_token);
      expect(response.body).toEqual({
        userId,
        deviceId: tokens.device_id,
        expiresAt: new Date((payload.exp as number) * 1000).toISOString(),
      });
    });

    it.each([
      ['no Authorization header', undefined],
      ['an empty bearer', 'Bearer '],
      ['a malformed token', 'Bearer not.a.jwt'],
      ['another scheme', 'Basic dXNlcjpwYXNz'],
    ])('refuses %s with 401 and a Bearer invalid_token challenge', async (_, authorization) => {
      const call = api.http().get('/me');
      if (authorization) call.set('Authorization', authorization);
      const response = await call.expect(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ status: 401, detail: 'The access token is invalid.' });
    });

    it('says "expired" for an expired access token, and nothing more', async () => {
      const { email, password } = await registerAndLogin(api);
      api.clock.advance(-16 * 60_000);
      const tokens = await login(api, email, password);
      api.clock.advance(16 * 60_000);
      const response = await api.http().get('/me').set('Authorization', bearer(tokens)).expect(401);
      expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token", error_description="The access token expired."');
    });

    it('refuses forged tokens: alg none, wrong key, tampered payload', async () => {
      const { tokens } = await registerAndLogin(api);
      const [header, payload, signature] = tokens.access_token.split('.');
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const claims = decodeJwt(tokens.access_token).payload;
      const sign = (h: object, p: object, key: string) => {
        const input = `${encode(h)}.${encode(p)}`;
        return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
      };
      const forged = [
        `${encode({ alg: 'none', typ: 'at+jwt' })}.${payload}.`,
        sign({ alg: 'HS256', typ: 'at+jwt', kid: api.config.signingKeys.static!.id }, claims, 'a-different-secret-of-at-least-32-bytes!!'),
        `${header}.${encode({ ...claims, sub: 'someone-else' })}.${signature}`,
        sign({ alg: 'HS256', typ: 'JWT', kid: api.config.signingKeys.static!.id }, claims, TEST_JWT_SECRET),
        sign({ alg: 'HS256', typ: 'at+jwt', kid: api.config.signingKeys.static!.id }, { ...claims, iss: 'elsewhere' }, TEST_JWT_SECRET),
        sign({ alg: 'HS256', typ: 'at+jwt', kid: api.config.signingKeys.static!.id }, { ...claims, aud: 'another-api' }, TEST_JWT_SECRET),
        sign({ alg: 'HS256', typ: 'at+jwt', kid: api.config.signingKeys.static!.id }, { ...claims, exp: undefined }, TEST_JWT_SECRET),
        tokens.refresh_token,
      ];
      for (const token of forged) {
        const response = await api.http().get('/me').set('Authorization', `Bearer ${token}`).expect(401);
        expect(response.body.detail).toBe('The access token is invalid.');
      }
      // The same construction with the real key passes, so the cases above fail for their flaw.
      await api
        .http()
        .get('/me')
        .set(
          'Authorization',
          `Bearer ${sign({ alg: 'HS256', typ: 'at+jwt', kid: api.config.signingKeys.static!.id }, claims, TEST_JWT_SECRET)}`,
        )
        .expect(200);
    });

    it('answers unknown routes with a problem+json 404 (after the guard)', async () => {
      const { tokens } = await registerAndLogin(api);
      const response = await api.http().get('/no-such-route').set('Authorization', bearer(tokens)).expect(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    });
  });

  describe('POST /auth/refresh', () => {
    it('rotates: a new pair each time, and the chain keeps working', async () => {
      const { tokens } = await registerAndLogin(api);
      let current = tokens;
      const seen = new Set([current.refresh_token]);
      for (let i = 0; i < 5; i++) {
        const response = await refresh(api, current.refresh_token).expect(200);
        expect(response.headers['cache-control']).toBe('no-store');
        expect(response.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, device_id: tokens.device_id });
        expect(seen.has(response.body.refresh_token)).toBe(false);
        seen.add(response.body.refresh_token);
        await api.http().get('/me').set('Authorization', bearer(response.body)).expect(200);
        current = response.body;
      }
    });

    it('accepts the form-encoded OAuth request and ignores client_id and scope', async () => {
      const { tokens } = await registerAndLogin(api);
      const response = await api
        .http()
        .post('/auth/refresh')
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'mobile', scope: 'openid' })
        .expect(200);
      expect(response.body.device_id).toBe(tokens.device_id);
    });

    it.each([
      ['JSON without a token', 'json', {}, 'invalid_request'],
      ['JSON with an unknown field', 'json', { refresh_token: 'x', client_id: 'mobile' }, 'invalid_request'],
      ['a form without grant_type', 'form', { refresh_token: 'x' }, 'invalid_request'],
      ['another grant type', 'form', { grant_type: 'password', refresh_token: 'x' }, 'unsupported_grant_type'],
      ['an unknown token', 'json', { refresh_token: 'A'.repeat(43) }, 'invalid_grant'],
      ['a malformed token', 'json', { refresh_token: 'short' }, 'invalid_grant'],
      ['a non-string token', 'json', { refresh_token: 42 }, 'invalid_request'],
    ])('answers %s with 400 %s (RFC 6749 §5.2)', async (_, type, body, error) => {
      const response = await api.http().post('/auth/refresh').type(type).send(body).expect(400);
      expect(response.body).toEqual({
        error,
        error_description: expect.any(String),
        ...(error === 'invalid_grant' ? { reason: 'invalid' } : {}),
      });
      expect(response.headers['content-type']).toMatch(/^application\/json/);
    });

    it('answers an unparsable body on the token endpoint as RFC 6749 too', async () => {
      const response = await api.http().post('/auth/refresh').set('Content-Type', 'application/json').send('{"refresh_token":').expect(400);
      expect(response.body).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
    });

    it('forgives a retry of the rotated token within the grace period with the same new token', async () => {
      const { userId, tokens } = await registerAndLogin(api);
      const first = await refresh(api, tokens.refresh_token).expect(200);
      api.clock.advance(5_000);
      const retry = await refresh(api, tokens.refresh_token).expect(200);
      expect(retry.body.refresh_token).toBe(first.body.refresh_token);
      await refresh(api, first.body.refresh_token).expect(200);
      const events = await api.dataSource.getRepository(SecurityEventEntity).findBy({ userId, type: 'refresh_token_reused' });
      expect(events).toHaveLength(0);
    });

    it('treats a rotated token replayed after the grace period as theft and revokes the device', async () => {
      const { userId, tokens } = await registerAndLogin(api);
      const rotated = await refresh(api, tokens.refresh_token).expect(200);
      api.clock.advance(11_000);
      const replay = await refresh(api, tokens.refresh_token).expect(400);
      expect(replay.body).toEqual({ error: 'invalid_grant', error_description: expect.any(String), reason: 'reused' });
      // The whole device session is gone: the newest refresh token and the access token too.
      await refresh(api, rotated.body.refresh_token).expect(400);
      await api.http().get('/me').set('Authorization', bearer(rotated.body)).expect(401);
      const device = await api.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: tokens.device_id });
      expect(device.revokedReason).toBe('refresh_token_reused');
      const events = await api.dataSource.getRepository(SecurityEventEntity).findBy({ userId, type: 'refresh_token_reused' });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ deviceId: tokens.device_id, actor: 'system' });
    });

    it('treats an older ancestor as theft even inside the grace period', async () => {
      const { tokens } = await registerAndLogin(api);
      const second = await refresh(api, tokens.refresh_token).expect(200);
      const third = await refresh(api, second.body.refresh_token).expect(200);
      await refresh(api, tokens.refresh_token).expect(400);
      await refresh(api, third.body.refresh_token).expect(400);
    });

    it('survives ten parallel refreshes with one token: no 5xx, one new token, device usable', async () => {
      const { tokens } = await registerAndLogin(api);
      const responses = await Promise.all(Array.from({ length: 10 }, () => refresh(api, tokens.refresh_token)));
      expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
      const newTokens = new Set(responses.map((response) => response.body.refresh_token));
      expect(newTokens.size).toBe(1);
      const next = await refresh(api, [...newTokens][0]).expect(200);
      await api.http().get('/me').set('Authorization', bearer(next.body)).expect(200);
    });

    it('leaves exactly one successor in the database after 20 parallel refreshes of one token (losers write nothing)', async () => {
      const { tokens } = await registerAndLogin(api);
      const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(api, tokens.refresh_token)));
      expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
      const rows = await api.dataSource.query(
        api.dataSource.options.type === 'postgres'
          ? 'SELECT rotated_at, replaced_by_id FROM refresh_tokens WHERE device_id = $1'
          : 'SELECT rotated_at, replaced_by_id FROM refresh_tokens WHERE device_id = ?',
        [tokens.device_id],
      );
      expect(rows).toHaveLength(2);
      const spent = rows.filter((row: { rotated_at: unknown }) => row.rotated_at !== null);
      expect(spent).toHaveLength(1);
      const [device] = await api.dataSource.query(
        api.dataSource.options.type === 'postgres'
          ? 'SELECT last_seen_at FROM devices WHERE id = $1'
          : 'SELECT last_seen_at FROM devices WHERE id = ?',
        [tokens.device_id],
      );
      // The rotation noted the device's activity in the same step (a loser, which also locks
      // and touches the device before finding the token spent, may note a later time).
      expect(Number(device.last_seen_at)).toBeGreaterThanOrEqual(Number(spent[0].rotated_at));
    });

    it('refuses a refresh token idle for longer than REFRESH_TOKEN_TTL', async () => {
      const { tokens } = await registerAndLogin(api);
      api.clock.advance(31 * DAY_MS);
      const response = await refresh(api, tokens.refresh_token).expect(400);
      expect(response.body.error).toBe('invalid_grant');
    });

    it('refuses refreshes once the device session reaches SESSION_MAX_AGE, however active', async () => {
      const { tokens } = await registerAndLogin(api);
      let current = tokens.refresh_token;
      for (let elapsed = 0; elapsed < 87; elapsed += 29) {
        api.clock.advance(29 * DAY_MS);
        const response = await refresh(api, current).expect(200);
        current = response.body.refresh_token;
      }
      api.clock.advance(4 * DAY_MS);
      const response = await refresh(api, current).expect(400);
      expect(response.body).toEqual({
        error: 'invalid_grant',
        error_description: expect.stringMatching(/maximum age/),
        reason: 'session_expired',
      });
    });

    it('prunes refresh tokens past their idle lifetime, leaving the live chain working', async () => {
      const { tokens } = await registerAndLogin(api);
      const second = await refresh(api, tokens.refresh_token).expect(200);
      api.clock.advance(29 * DAY_MS);
      const third = await refresh(api, second.body.refresh_token).expect(200);
      api.clock.advance(2 * DAY_MS);
      const rows = () => api.dataSource.getRepository(RefreshTokenEntity).countBy({ deviceId: tokens.device_id });
      expect(await rows()).toBe(3);
      expect(await api.app.get(RefreshTokenPruner).prune()).toBeGreaterThanOrEqual(2);
      expect(await rows()).toBe(1);
      const fourth = await refresh(api, third.body.refresh_token).expect(200);
      // A pruned token is simply unknown now: refused, without revoking the device.
      await refresh(api, tokens.refresh_token).expect(400);
      await refresh(api, fourth.body.refresh_token).expect(200);
    });

    afterEach(() => {
      // Tests above move the clock; later tests expect real time again.
      api.clock.advance(-(api.clock.now() - Date.now()));
    });
  });

  describe('POST /auth/logout', () => {
    it('revokes the calling device: its access and refresh tokens stop working', async () => {
      const { tokens } = await registerAndLogin(api);
      await api.http().post('/auth/logout').set('Authorization', bearer(tokens)).expect(204);
      await api.http().get('/me').set('Authorization', bearer(tokens)).expect(401);
      const response = await refresh(api, tokens.refresh_token).expect(400);
      expect(response.body.error).toBe('invalid_grant');
    });

    it('requires an access token', async () => {
      await api.http().post('/auth/logout').expect(401);
    });
  });

  describe('POST /auth/revoke (RFC 7009)', () => {
    it('revokes the device of a refresh token, JSON or form', async () => {
      const { email, password, tokens } = await registerAndLogin(api);
      await api.http().post('/auth/revoke').send({ token: tokens.refresh_token }).expect(200);
      await refresh(api, tokens.refresh_token).expect(400);
      await api.http().get('/me').set('Authorization', bearer(tokens)).expect(401);

      const other = await login(api, email, password);
      await api
        .http()
        .post('/auth/revoke')
        .type('form')
        .send({ token: other.refresh_token, token_type_hint: 'refresh_token', client_id: 'mobile' })
        .expect(200);
      await refresh(api, other.refresh_token).expect(400);
    });

    it('answers 200 for an unknown token and changes nothing', async () => {
      const { tokens } = await registerAndLogin(api);
      await api
        .http()
        .post('/auth/revoke')
        .send({ token: 'B'.repeat(43) })
        .expect(200);
      await api.http().post('/auth/revoke').send({ token: 'garbage' }).expect(200);
      await refresh(api, tokens.refresh_token).expect(200);
    });

    it('answers a request without a token with 400 invalid_request', async () => {
      const response = await api.http().post('/auth/revoke').send({}).expect(400);
      expect(response.body.error).toBe('invalid_request');
    });
  });

  describe('POST /auth/password', () => {
    it('changes the password and revokes every other device, keeping the caller', async () => {
      const { email, password, tokens } = await registerAndLogin(api);
      const other = await login(api, email, password, { name: 'Other' });
      await api
        .http()
        .post('/auth/password')
        .set('Authorization', bearer(tokens))
        .send({ currentPassword: password, newPassword: 'a brand new password' })
        .expect(204);
      await api.http().get('/me').set('Authorization', bearer(other)).expect(401);
      await refresh(api, other.refresh_token).expect(400);
      await api.http().get('/me').set('Authorization', bearer(tokens)).expect(200);
      await refresh(api, tokens.refresh_token).expect(200);
      await api
        .http()
        .post('/auth/login')
        .send({ email, password, device: { name: 'x' } })
        .expect(401);
      await login(api, email, 'a brand new password');
    });

    it('refuses a wrong current password with 403 and changes nothing', async () => {
      const { email, password, tokens } = await registerAndLogin(api);
      const response = await api
        .http()
        .post('/auth/password')
        .set('Authorization', bearer(tokens))
        .send({ currentPassword: 'not it at all', newPassword: 'another password' })
        .expect(403);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      await login(api, email, password);
    });

    it('validates the new password', async () => {
      const { password, tokens } = await registerAndLogin(api);
      const response = await api
        .http()
        .post('/auth/password')
        .set('Authorization', bearer(tokens))
        .send({ currentPassword: password, newPassword: 'short' })
        .expect(400);
      expect(response.body.errors).toEqual([expect.objectContaining({ field: 'newPassword' })]);
    });
  });

  describe('bodies', () => {
    it('rejects a body over 16 KiB with 413', async () => {
      const response = await api
        .http()
        .post('/auth/register')
        .send({ email: 'big@example.com', password: 'x'.repeat(17_000) })
        .expect(413);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('rejects unparsable JSON with 400 and a form on a JSON endpoint with 415', async () => {
      await api.http().post('/auth/login').set('Content-Type', 'application/json').send('{"email":').expect(400);
      await api.http().post('/auth/login').type('form').send({ email: 'a@example.com' }).expect(415);
      await api.http().post('/auth/login').set('Content-Type', 'text/plain').send('hello').expect(415);
    });

    it.each([['null'], ['[]'], ['"text"'], ['42'], ['{"__proto__":{"admin":true}}']])('rejects the JSON body %s with 400', async (body) => {
      const response = await api.http().post('/auth/register').set('Content-Type', 'application/json').send(body);
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    });
  });
});

describe('login rate limit (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ LOGIN_RATE_LIMIT: '3/15m' });
  });

  afterAll(async () => {
    await api.close();
  });

  it('answers 429 with Retry-After once an email has used up its failed attempts', async () => {
    const { email, password } = await registerAndLogin(api);
    for (let i = 0; i < 3; i++) {
      await api
        .http()
        .post('/auth/login')
        .send({ email, password: 'wrong password', device: { name: 'x' } })
        .expect(401);
    }
    const limited = await api
      .http()
      .post('/auth/login')
      .send({ email, password, device: { name: 'x' } })
      .expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    api.clock.advance(15 * 60_000 + 1000);
    await login(api, email, password);
  });
});
