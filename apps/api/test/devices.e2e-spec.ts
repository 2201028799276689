import { randomUUID } from 'node:crypto';
import type { TokenResponse } from '@app/auth';
import { DeviceEntity, SecurityEventEntity } from '@app/persistence';
import { bearer, login, refresh, registerAndLogin, startTestApi, type TestApi } from './support/test-api.js';

const MINUTE_MS = 60_000;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('devices (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    // Background work is pushed out of the test's way: last-seen notes are not flushed
    // behind the tests' back (keeps lastSeenAt ordering deterministic), and revocations must
    // take effect in this process at once, without waiting for the sync.
    api = await startTestApi({ REVOCATION_SYNC_INTERVAL: '1h', LAST_SEEN_FLUSH_INTERVAL: '1h' });
  });

  afterAll(async () => {
    await api.close();
  });

  afterEach(() => {
    // Some tests move the clock; the next one expects real time again.
    api.clock.advance(-(api.clock.now() - Date.now()));
  });

  // --- helpers ---------------------------------------------------------------------------

  const devicesRepo = () => api.dataSource.getRepository(DeviceEntity);
  const eventsRepo = () => api.dataSource.getRepository(SecurityEventEntity);

  const listDevices = (tokens: TokenResponse) => api.http().get('/devices').set('Authorization', bearer(tokens));
  const rename = (tokens: TokenResponse, id: string, body: unknown) =>
    api
      .http()
      .patch(`/devices/${id}`)
      .set('Authorization', bearer(tokens))
      .send(body as object);
  const remove = (tokens: TokenResponse, id: string) => api.http().delete(`/devices/${id}`).set('Authorization', bearer(tokens));
  const revokeOthers = (tokens: TokenResponse) => api.http().post('/devices/revoke-others').set('Authorization', bearer(tokens));
  const me = (tokens: TokenResponse) => api.http().get('/me').set('Authorization', bearer(tokens));

  /** The Device API.md promises for a stored row. */
  async function expectedDevice(id: string, current: boolean) {
    const row = await devicesRepo().findOneByOrFail({ id });
    return {
      id: row.id,
      name: row.name,
      platform: row.platform,
      userAgent: row.userAgent,
      ip: row.ip,
      createdAt: new Date(row.createdAt).toISOString(),
      lastSeenAt: new Date(row.lastSeenAt).toISOString(),
      current,
      keyBound: row.jkt !== null,
    };
  }

  /** Asserts a refused access token (401 + RFC 6750 challenge) and a refused refresh token. */
  async function expectSessionEnded(tokens: TokenResponse) {
    const denied = await me(tokens).expect(401);
    expect(denied.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    const refused = await refresh(api, tokens.refresh_token).expect(400);
    expect(refused.body).toEqual({ error: 'invalid_grant', error_description: expect.any(String), reason: expect.any(String) });
  }

  function expectProblem(response: { headers: Record<string, string>; body: unknown }, status: number) {
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
  }

  // --- GET /devices ----------------------------------------------------------------------

  describe('GET /devices', () => {
    it('lists active devices with exactly the Device fields, the caller marked current, newest activity first', async () => {
      api.clock.advance(-4 * MINUTE_MS);
      const first = await registerAndLogin(api, { name: 'Phone A', platform: 'ios' });
      api.clock.advance(MINUTE_MS);
      const second = await login(api, first.email, first.password, { name: 'Tablet B', platform: 'android' });
      api.clock.advance(MINUTE_MS);
      const third = await login(api, first.email, first.password, { name: 'Laptop C', platform: 'web' });
      api.clock.advance(MINUTE_MS);
      // A refresh is activity: the first device becomes the most recently seen.
      const refreshed = (await refresh(api, first.tokens.refresh_token).expect(200)).body as TokenResponse;

      const response = await listDevices(refreshed).expect(200);

      expect(Object.keys(response.body)).toEqual(['devices']);
      const devices = response.body.devices as Record<string, unknown>[];
      expect(devices.map((device) => device.id)).toEqual([first.tokens.device_id, third.device_id, second.device_id]);
      expect(devices).toEqual([
        await expectedDevice(first.tokens.device_id, true),
        await expectedDevice(third.device_id, false),
        await expectedDevice(second.device_id, false),
      ]);
      for (const device of devices) {
        expect(Object.keys(device).sort()).toEqual([
          'createdAt',
          'current',
          'id',
          'ip',
          'keyBound',
          'lastSeenAt',
          'name',
          'platform',
          'userAgent',
        ]);
        expect(device.createdAt).toMatch(ISO_8601);
        expect(device.lastSeenAt).toMatch(ISO_8601);
      }
      expect(devices[0]).toMatchObject({ name: 'Phone A', platform: 'ios' });
      // The refresh moved lastSeenAt past the login time; the others still show their login.
      const firstRow = await devicesRepo().findOneByOrFail({ id: first.tokens.device_id });
      expect(firstRow.lastSeenAt - firstRow.createdAt).toBeGreaterThanOrEqual(3 * MINUTE_MS - 1000);
    });

    it('marks as current the device whose token made the request', async () => {
      const { email, password, tokens } = await registerAndLogin(api);
      const other = await login(api, email, password, { name: 'Other' });

      const asFirst = (await listDevices(tokens).expect(200)).body.devices as { id: string; current: boolean }[];
      const asOther = (await listDevices(other).expect(200)).body.devices as { id: string; current: boolean }[];

      expect(asFirst.filter((device) => device.current).map((device) => device.id)).toEqual([tokens.device_id]);
      expect(asOther.filter((device) => device.current).map((device) => device.id)).toEqual([other.device_id]);
    });

    it('leaves out revoked devices', async () => {
      const { email, password, tokens } = await registerAndLogin(api);
      const loggedOut = await login(api, email, password, { name: 'Logged out' });
      const deleted = await login(api, email, password, { name: 'Deleted' });
      await api.http().post('/auth/logout').set('Authorization', bearer(loggedOut)).expect(204);
      await remove(tokens, deleted.device_id).expect(204);

      const response = await listDevices(tokens).expect(200);

      expect(response.body.devices.map((device: { id: string }) => device.id)).toEqual([tokens.device_id]);
      const rows = await devicesRepo().findBy({ id: loggedOut.device_id });
      expect(rows[0].revokedAt).not.toBeNull();
    });

    it('leaves out devices whose session reached SESSION_MAX_AGE', async () => {
      const { email, password } = await registerAndLogin(api, { name: 'Current' });
      api.clock.advance(-91 * 24 * 60 * MINUTE_MS);
      const old = await login(api, email, password, { name: 'Ninety-one days old' });
      api.clock.advance(91 * 24 * 60 * MINUTE_MS);
      const caller = await login(api, email, password, { name: 'Caller' });
      const response = await listDevices(caller).expect(200);
      const ids = response.body.devices.map((device: { id: string }) => device.id);
      expect(ids).not.toContain(old.device_id);
      expect(ids).toContain(caller.device_id);
    });

    it("leaves out another user's devices", async () => {
      const alice = await registerAndLogin(api, { name: 'Alice phone' });
      const bob = await registerAndLogin(api, { name: 'Bob phone' });

      const response = await listDevices(alice.tokens).expect(200);

      expect(response.body.devices).toEqual([await expectedDevice(alice.tokens.device_id, true)]);
      expect(JSON.stringify(response.body)).not.toContain(bob.tokens.device_id);
    });

    it.each([
      ['no Authorization header', undefined],
      ['a malformed token', 'Bearer not.a.jwt'],
    ])('requires an access token: %s gets 401 with a Bearer invalid_token challenge', async (_, authorization) => {
      const call = api.http().get('/devices');
      if (authorization) call.set('Authorization', authorization);
      const response = await call.expect(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
      expectProblem(response, 401);
    });
  });

  // --- PATCH /devices/:id ----------------------------------------------------------------

  describe('PATCH /devices/:id', () => {
    it('renames a device to the trimmed name and answers the Device with current computed', async () => {
      const { email, password, userId, tokens } = await registerAndLogin(api, { name: 'Old name' });
      const other = await login(api, email, password, { name: 'Other old name' });

      const own = await rename(tokens, tokens.device_id, { name: '  Kitchen iPad  ' }).expect(200);
      expect(own.body).toEqual(await expectedDevice(tokens.device_id, true));
      expect(own.body.name).toBe('Kitchen iPad');

      const notOwn = await rename(tokens, other.device_id, { name: 'Work phone' }).expect(200);
      expect(notOwn.body).toEqual(await expectedDevice(other.device_id, false));
      expect(notOwn.body.name).toBe('Work phone');

      const rows = await devicesRepo().findBy({ userId });
      expect(Object.fromEntries(rows.map((row) => [row.id, row.name]))).toEqual({
        [tokens.device_id]: 'Kitchen iPad',
        [other.device_id]: 'Work phone',
      });
    });

    it('lets two devices share one name', async () => {
      const { email, password, tokens } = await registerAndLogin(api, { name: 'Phone' });
      const other = await login(api, email, password, { name: 'Tablet' });

      await rename(tokens, other.device_id, { name: 'Phone' }).expect(200);

      const devices = (await listDevices(tokens).expect(200)).body.devices as { id: string; name: string }[];
      expect(devices.map((device) => device.name)).toEqual(['Phone', 'Phone']);
      expect(new Set(devices.map((device) => device.id)).size).toBe(2);
    });

    it('records a device_renamed security event', async () => {
      const { userId, tokens } = await registerAndLogin(api, { name: 'Before' });

      await rename(tokens, tokens.device_id, { name: 'After' }).expect(200);

      const events = await eventsRepo().findBy({ userId, type: 'device_renamed' });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        deviceId: tokens.device_id,
        deviceName: 'After',
        actor: 'user',
        actorUserId: userId,
        actorDeviceId: tokens.device_id,
      });
    });

    it.each([
      ['an empty name', { name: '' }, 'name'],
      ['a whitespace-only name', { name: '   \t ' }, 'name'],
      ['a 65-character name', { name: 'x'.repeat(65) }, 'name'],
      ['a control character', { name: 'bad\u0007name' }, 'name'],
      ['a newline', { name: 'two\nlines' }, 'name'],
      ['a non-string name', { name: 42 }, 'name'],
      ['a missing name', {}, 'name'],
      ['an unknown extra field', { name: 'Fine', platform: 'ios' }, 'platform'],
    ])('rejects %s with a 400 problem naming the field, and changes nothing', async (_, body, field) => {
      const { tokens } = await registerAndLogin(api, { name: 'Unchanged' });

      const response = await rename(tokens, tokens.device_id, body).expect(400);

      expectProblem(response, 400);
      expect(response.body.errors).toEqual(expect.arrayContaining([{ field, message: expect.any(String) }]));
      expect(response.body.errors.every((error: { field: string }) => error.field === field)).toBe(true);
      expect((await devicesRepo().findOneByOrFail({ id: tokens.device_id })).name).toBe('Unchanged');
    });

    it.each([
      ['Latin with accents', 'é'.repeat(64)],
      ['Cyrillic', 'Ж'.repeat(64)],
      ['CJK', '电'.repeat(64)],
      ['Arabic', 'ه'.repeat(64)],
    ])('accepts 64 characters of %s', async (_, name) => {
      const { tokens } = await registerAndLogin(api);

      const response = await rename(tokens, tokens.device_id, { name }).expect(200);

      expect(response.body.name).toBe(name);
      expect((await devicesRepo().findOneByOrFail({ id: tokens.device_id })).name).toBe(name);
    });

    it("answers another user's, an unknown, a malformed and a revoked device id with the same 404", async () => {
      const { email, password, tokens } = await registerAndLogin(api);
      const stranger = await registerAndLogin(api, { name: 'Stranger phone' });
      const revoked = await login(api, email, password, { name: 'Revoked' });
      await remove(tokens, revoked.device_id).expect(204);

      const responses = [
        await rename(tokens, stranger.tokens.device_id, { name: 'Mine now' }).expect(404),
        await rename(tokens, randomUUID(), { name: 'Ghost' }).expect(404),
        await rename(tokens, 'abc', { name: 'Ghost' }).expect(404),
        await rename(tokens, revoked.device_id, { name: 'Back again' }).expect(404),
      ];

      for (const response of responses) {
        expectProblem(response, 404);
        expect(response.body).toEqual(responses[0].body);
      }
      expect((await devicesRepo().findOneByOrFail({ id: stranger.tokens.device_id })).name).toBe('Stranger phone');
      expect((await devicesRepo().findOneByOrFail({ id: revoked.device_id })).name).toBe('Revoked');
    });

    it('requires an access token', async () => {
      const { tokens } = await registerAndLogin(api);
      const response = await api.http().patch(`/devices/${tokens.device_id}`).send({ name: 'Nope' }).expect(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    });
  });

  // --- DELETE /devices/:id ---------------------------------------------------------------

  describe('DELETE /devices/:id', () => {
    it('revokes another device of the caller: gone from the list, its tokens refused, the caller unaffected', async () => {
      const { email, password, tokens } = await registerAndLogin(api, { name: 'Keeper' });
      const target = await login(api, email, password, { name: 'Lost phone' });

      const response = await remove(tokens, target.device_id).expect(204);

      expect(response.text).toBe('');
      const devices = (await listDevices(tokens).expect(200)).body.devices as { id: string }[];
      expect(devices.map((device) => device.id)).toEqual([tokens.device_id]);
      await expectSessionEnded(target);
      await me(tokens).expect(200);
      const row = await devicesRepo().findOneByOrFail({ id: target.device_id });
      expect(row).toMatchObject({ revokedReason: 'revoked', revokedBy: row.userId });
      expect(row.revokedAt).toEqual(expect.any(Number));
    });

    it('records a device_revoked event with reason revoked, actor user and the caller as actor device', async () => {
      const { email, password, userId, tokens } = await registerAndLogin(api);
      const target = await login(api, email, password, { name: 'Old tablet' });

      await remove(tokens, target.device_id).expect(204);

      const events = await eventsRepo().findBy({ userId, type: 'device_revoked' });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        deviceId: target.device_id,
        deviceName: 'Old tablet',
        reason: 'revoked',
        actor: 'user',
        actorUserId: userId,
        actorDeviceId: tokens.device_id,
      });
    });

    it("deletes the caller's own device like a logout", async () => {
      const { userId, tokens } = await registerAndLogin(api);

      await remove(tokens, tokens.device_id).expect(204);

      await expectSessionEnded(tokens);
      const row = await devicesRepo().findOneByOrFail({ id: tokens.device_id });
      expect(row.revokedReason).toBe('logout');
      const events = await eventsRepo().findBy({ userId, type: 'device_revoked' });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ deviceId: tokens.device_id, reason: 'logout', actor: 'user', actorDeviceId: tokens.device_id });
    });

    it("answers another user's device with 404 and leaves that device working", async () => {
      const { tokens } = await registerAndLogin(api);
      const stranger = await registerAndLogin(api);

      const response = await remove(tokens, stranger.tokens.device_id).expect(404);

      expectProblem(response, 404);
      await me(stranger.tokens).expect(200);
      await refresh(api, stranger.tokens.refresh_token).expect(200);
      expect((await devicesRepo().findOneByOrFail({ id: stranger.tokens.device_id })).revokedAt).toBeNull();
      expect(await eventsRepo().findBy({ userId: stranger.userId, type: 'device_revoked' })).toHaveLength(0);
    });

    it('answers an unknown or malformed id with the same 404 as a foreign one', async () => {
      const { tokens } = await registerAndLogin(api);
      const stranger = await registerAndLogin(api);

      const foreign = await remove(tokens, stranger.tokens.device_id).expect(404);
      const unknown = await remove(tokens, randomUUID()).expect(404);
      const malformed = await remove(tokens, 'abc').expect(404);

      expect(unknown.body).toEqual(foreign.body);
      expect(malformed.body).toEqual(foreign.body);
      await me(tokens).expect(200);
    });

    it('answers a second delete of the same device with 404', async () => {
      const { email, password, userId, tokens } = await registerAndLogin(api);
      const target = await login(api, email, password);

      await remove(tokens, target.device_id).expect(204);
      const second = await remove(tokens, target.device_id).expect(404);

      expectProblem(second, 404);
      expect(await eventsRepo().findBy({ userId, type: 'device_revoked' })).toHaveLength(1);
    });
  });

  // --- POST /devices/revoke-others -------------------------------------------------------

  describe('POST /devices/revoke-others', () => {
    it('revokes every other active device, counts them, and keeps the caller', async () => {
      const { email, password, userId, tokens } = await registerAndLogin(api, { name: 'Keeper' });
      const others = [
        await login(api, email, password, { name: 'Other 1' }),
        await login(api, email, password, { name: 'Other 2' }),
        await login(api, email, password, { name: 'Other 3' }),
      ];
      // Already revoked: not counted again.
      const alreadyGone = await login(api, email, password, { name: 'Gone' });
      await api.http().post('/auth/logout').set('Authorization', bearer(alreadyGone)).expect(204);

      const response = await revokeOthers(tokens).expect(200);

      expect(response.body).toEqual({ revoked: 3 });
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      const devices = (await listDevices(tokens).expect(200)).body.devices;
      expect(devices).toEqual([await expectedDevice(tokens.device_id, true)]);
      for (const other of others) await expectSessionEnded(other);
      await me(tokens).expect(200);
      await refresh(api, tokens.refresh_token).expect(200);

      const events = await eventsRepo().findBy({ userId, type: 'device_revoked', reason: 'revoked_others' });
      expect(events.map((event) => event.deviceId).sort()).toEqual(others.map((other) => other.device_id).sort());
      for (const event of events) expect(event).toMatchObject({ actor: 'user', actorUserId: userId, actorDeviceId: tokens.device_id });
    });

    it('answers {"revoked":0} when called again', async () => {
      const { email, password, tokens } = await registerAndLogin(api);
      await login(api, email, password);

      await revokeOthers(tokens).expect(200, { revoked: 1 });
      await revokeOthers(tokens).expect(200, { revoked: 0 });
      await me(tokens).expect(200);
    });

    it("leaves other users' devices untouched", async () => {
      const { email, password, tokens } = await registerAndLogin(api);
      await login(api, email, password);
      const stranger = await registerAndLogin(api);
      const strangerOther = await login(api, stranger.email, stranger.password);

      await revokeOthers(tokens).expect(200, { revoked: 1 });

      await me(stranger.tokens).expect(200);
      await me(strangerOther).expect(200);
      const strangerRows = await devicesRepo().findBy({ userId: stranger.userId });
      expect(strangerRows).toHaveLength(2);
      expect(strangerRows.every((row) => row.revokedAt === null)).toBe(true);
      await refresh(api, strangerOther.refresh_token).expect(200);
    });

    it('requires an access token', async () => {
      const response = await api.http().post('/devices/revoke-others').expect(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    });
  });

  // --- Revocation latency, stored text ---------------------------------------------------

  describe('revocation within one process', () => {
    it("refuses a deleted device's access token on the very next request, well under 1.5 s", async () => {
      const { email, password, tokens } = await registerAndLogin(api);
      const target = await login(api, email, password);
      await me(target).expect(200);

      await remove(tokens, target.device_id).expect(204);
      // The very next request is refused: no sync interval to wait for within one process.
      const response = await me(target);

      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    });
  });

  describe('device names as text', () => {
    it('round-trips an HTML-looking name unchanged in JSON', async () => {
      const name = '<img src=x onerror=alert(1)>';
      const { tokens } = await registerAndLogin(api, { name: 'Plain' });

      const renamed = await rename(tokens, tokens.device_id, { name }).expect(200);
      expect(renamed.headers['content-type']).toMatch(/^application\/json/);
      expect(renamed.body.name).toBe(name);

      const listed = await listDevices(tokens).expect(200);
      expect(listed.body.devices[0].name).toBe(name);
      expect((await devicesRepo().findOneByOrFail({ id: tokens.device_id })).name).toBe(name);

      // Also as a name given at login.
      const { email, password } = await registerAndLogin(api);
      const other = await login(api, email, password, { name });
      const names = (await listDevices(other).expect(200)).body.devices.map((device: { name: string }) => device.name);
      expect(names).toContain(name);
    });
  });
});
