import type { TokenResponse } from '@app/auth';
import { REQUEST_ID_PATTERN } from '@app/platform';
import { LogCapture } from './support/log-capture.js';
import { bearer, refresh, registerAndLogin, startTestApi, TEST_JWT_SECRET, type TestApi } from './support/test-api.js';

/** API.md: every response carries X-Request-Id, and the request's log line carries the same id. */
describe('request logs (e2e)', () => {
  let api: TestApi;
  const logs = new LogCapture();

  beforeAll(async () => {
    api = await startTestApi({}, { logDestination: logs });
  });

  afterAll(async () => {
    await api.close();
  });

  it('write one JSON line per request of a sign-in, refresh and revoke, each with the id its response carried, and no secret', async () => {
    const before = logs.requests.length;
    const { email, password, tokens } = await registerAndLogin(api);
    const responses = [];
    const login = await api
      .http()
      .post('/auth/login')
      .send({ email, password, device: { name: 'Second phone' } })
      .expect(200);
    responses.push(login);
    const second = login.body as TokenResponse;
    const refreshed = await refresh(api, second.refresh_token).expect(200);
    responses.push(refreshed);
    const rotated = refreshed.body as TokenResponse;
    responses.push(await api.http().get('/me').set('Authorization', bearer(rotated)).expect(200));
    responses.push(await api.http().get('/devices').set('Authorization', bearer(tokens)).expect(200));
    responses.push(await api.http().post('/auth/revoke').send({ token: rotated.refresh_token }).expect(200));
    responses.push(await api.http().post('/auth/logout').set('Authorization', bearer(tokens)).expect(204));
    responses.push(await refresh(api, tokens.refresh_token).expect(400));

    const sent = [
      ['POST', '/auth/login'],
      ['POST', '/auth/refresh'],
      ['GET', '/me'],
      ['GET', '/devices'],
      ['POST', '/auth/revoke'],
      ['POST', '/auth/logout'],
      ['POST', '/auth/refresh'],
    ];
    const ids = responses.map((response) => response.headers['x-request-id'] as string);
    for (const id of ids) expect(id).toMatch(REQUEST_ID_PATTERN);
    expect(new Set(ids).size).toBe(ids.length);
    // register + first login (registerAndLogin), then the seven above.
    const lines = logs.requests.slice(before);
    expect(lines).toHaveLength(2 + responses.length);
    for (const [index, id] of ids.entries()) {
      const matching = lines.filter((line) => line.requestId === id);
      expect(matching).toHaveLength(1);
      const [line] = matching;
      const response = responses[index];
      expect(line).toMatchObject({
        level: 'info',
        app: 'api',
        method: sent[index][0],
        path: sent[index][1],
        status: response.status,
        ms: expect.any(Number),
        ip: expect.any(String),
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
    }
    // Routes as templates; the device each request was for, where it is known.
    const [loginLine, refreshLine, meLine, devicesLine, revokeLine, logoutLine] = ids.map((id) =>
      lines.find((line) => line.requestId === id)!,
    );
    expect(loginLine).toMatchObject({ route: '/auth/login', deviceId: second.device_id });
    expect(refreshLine).toMatchObject({ route: '/auth/refresh', deviceId: second.device_id });
    expect(meLine).toMatchObject({ route: '/me', deviceId: second.device_id });
    expect(devicesLine).toMatchObject({ route: '/devices', deviceId: tokens.device_id });
    expect(logoutLine).toMatchObject({ route: '/auth/logout', deviceId: tokens.device_id });
    expect(revokeLine.deviceId).toBeUndefined();

    const text = logs.text;
    for (const secret of [password, TEST_JWT_SECRET, tokens, second, rotated].flatMap((value) =>
      typeof value === 'string' ? [value] : [value.access_token, value.access_token.split('.')[2], value.refresh_token],
    ))
      expect(text).not.toContain(secret);
  });

  it('keeps a well-formed client X-Request-Id, and replaces one that could break a log line or header', async () => {
    const kept = await api.http().get('/').set('X-Request-Id', 'trace-1234.abc_DEF').expect(200);
    expect(kept.headers['x-request-id']).toBe('trace-1234.abc_DEF');
    expect(logs.requests.filter((line) => line.requestId === 'trace-1234.abc_DEF')).toHaveLength(1);

    for (const offered of ['has space', 'x'.repeat(129), '"quoted"', 'semi;colon']) {
      const response = await api.http().get('/').set('X-Request-Id', offered).expect(200);
      const id = response.headers['x-request-id'] as string;
      expect(id).not.toBe(offered);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(logs.requests.filter((line) => line.requestId === id)).toHaveLength(1);
      expect(logs.text).not.toContain(offered);
    }
  });

  it('carries an id on errors too, logging the route template and never the query string', async () => {
    const refused = await api.http().delete('/devices/00000000-0000-4000-8000-000000000000?access_token=leaky-query-secret');
    expect(refused.status).toBe(401);
    const line = logs.requests.find((entry) => entry.requestId === refused.headers['x-request-id'])!;
    expect(line).toMatchObject({ route: '/devices/:id', path: '/devices/00000000-0000-4000-8000-000000000000', status: 401 });
    expect(logs.text).not.toContain('leaky-query-secret');

    const unknown = await api.http().get('/no/such/route').expect(404);
    expect(logs.requests.find((entry) => entry.requestId === unknown.headers['x-request-id'])).toMatchObject({ route: null, status: 404 });

    // Refused by the router before any hook runs (an undecodable URL): the id is still there.
    const undecodable = await api.http().get('/devices/%E0%A4%A').expect(400);
    expect(undecodable.headers['x-request-id']).toMatch(REQUEST_ID_PATTERN);
  });
});

/** README, Configuration: LOG_REQUESTS=errors logs only what failed (or was slow); off, nothing. */
describe('request logs with LOG_REQUESTS=errors and off (e2e)', () => {
  it('errors: a line for each answer of 400 or more, none for a success; off: none at all, ids still sent', async () => {
    for (const mode of ['errors', 'off'] as const) {
      const logs = new LogCapture();
      const api = await startTestApi({ LOG_REQUESTS: mode }, { logDestination: logs });
      try {
        const ok = await api.http().get('/').expect(200);
        const missing = await api.http().get('/no/such/route').expect(404);
        const refused = await api.http().get('/me').expect(401);
        for (const response of [ok, missing, refused]) expect(response.headers['x-request-id']).toMatch(REQUEST_ID_PATTERN);
        const idsLogged = logs.requests.map((line) => line.requestId);
        if (mode === 'errors') {
          expect(idsLogged).toEqual([missing.headers['x-request-id'], refused.headers['x-request-id']]);
          expect(logs.requests.map((line) => line.status)).toEqual([404, 401]);
        } else {
          expect(idsLogged).toEqual([]);
        }
      } finally {
        await api.close();
      }
    }
  });
});
