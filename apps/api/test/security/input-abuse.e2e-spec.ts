import { jest } from '@jest/globals';
import { connect, type AddressInfo } from 'node:net';
import type { Response, Test } from 'supertest';
import { PasswordHasher } from '@app/auth';
import { registerAndLogin, startTestApi, waitFor, type SignedIn, type TestApi } from '../support/test-api.js';
import { SecurityEventEntity } from '@app/persistence';
import { databaseState, expectDatabaseUnchanged } from './support/database-state.js';
import { expectNoLeak, expectOAuthError, expectProblem } from './support/wire.js';

/**
 * Input abuse on every endpoint: whatever the body, content type, path or request head, the
 * answer is a 4xx in the endpoint's error format (RFC 6749 on /auth/refresh and /auth/revoke,
 * problem+json elsewhere), never a 5xx, and no row of any table changes.
 */
describe('input abuse (e2e)', () => {
  let api: TestApi;
  let user: SignedIn;
  let stranger: SignedIn;

  beforeAll(async () => {
    api = await startTestApi({ REGISTER_RATE_LIMIT: '1000/1h' });
    user = await registerAndLogin(api, { name: 'Abuse target' });
    stranger = await registerAndLogin(api, { name: 'Someone else' });
  });

  afterAll(async () => {
    await api.close();
  });

  interface Endpoint {
    readonly name: string;
    readonly method: 'get' | 'post' | 'patch' | 'delete';
    path(): string;
    readonly auth: boolean;
    /** Answers errors as RFC 6749 §5.2 rather than problem+json. */
    readonly oauth: boolean;
    /** A valid body, for the endpoints that take one. */
    body?(): Record<string, unknown>;
  }

  const BODY_ENDPOINTS: Endpoint[] = [
    {
      name: 'POST /auth/register',
      method: 'post',
      path: () => '/auth/register',
      auth: false,
      oauth: false,
      body: () => ({ email: 'new-user@example.com', password: 'password-123' }),
    },
    {
      name: 'POST /auth/login',
      method: 'post',
      path: () => '/auth/login',
      auth: false,
      oauth: false,
      body: () => ({ email: user.email, password: 'wrong password', device: { name: 'Phone', platform: 'ios' } }),
    },
    {
      name: 'POST /auth/refresh',
      method: 'post',
      path: () => '/auth/refresh',
      auth: false,
      oauth: true,
      body: () => ({ refresh_token: 'A'.repeat(43) }),
    },
    {
      name: 'POST /auth/revoke',
      method: 'post',
      path: () => '/auth/revoke',
      auth: false,
      oauth: true,
      body: () => ({ token: 'A'.repeat(43) }),
    },
    {
      name: 'POST /auth/password',
      method: 'post',
      path: () => '/auth/password',
      auth: true,
      oauth: false,
      body: () => ({ currentPassword: 'wrong password', newPassword: 'new-password-123' }),
    },
    {
      name: 'PATCH /devices/:id',
      method: 'patch',
      path: () => `/devices/${user.tokens.device_id}`,
      auth: true,
      oauth: false,
      body: () => ({ name: 'Renamed' }),
    },
  ];

  /** A valid form body of each OAuth endpoint. */
  const FORM_OF: Record<string, string> = {
    'POST /auth/refresh': `grant_type=refresh_token&refresh_token=${'A'.repeat(43)}`,
    'POST /auth/revoke': `token=${'A'.repeat(43)}`,
  };

  const BODYLESS_ENDPOINTS: Endpoint[] = [
    { name: 'POST /auth/logout', method: 'post', path: () => '/auth/logout', auth: true, oauth: false },
    { name: 'POST /devices/revoke-others', method: 'post', path: () => '/devices/revoke-others', auth: true, oauth: false },
    { name: 'DELETE /devices/:id', method: 'delete', path: () => `/devices/${stranger.tokens.device_id}`, auth: true, oauth: false },
  ];

  function call(endpoint: Endpoint, contentType?: string, body?: string | Buffer) {
    const test = api.http()[endpoint.method](endpoint.path());
    if (endpoint.auth) test.set('Authorization', `Bearer ${user.tokens.access_token}`);
    if (contentType !== undefined) test.set('Content-Type', contentType);
    return body === undefined ? test : test.send(body);
  }

  const json = (endpoint: Endpoint, body: unknown) =>
    call(endpoint, 'application/json', typeof body === 'string' ? body : JSON.stringify(body));

  function expectRefused(endpoint: Endpoint, response: Response, status: number): void {
    if (endpoint.oauth) expectOAuthError(response, status);
    else expectProblem(response, status);
  }

  /** Sends each body and expects the same refusal, with the database untouched. */
  async function expectAllRefused(endpoint: Endpoint, status: number, send: Array<() => PromiseLike<Response>>): Promise<void> {
    await expectDatabaseUnchanged(api, async () => {
      for (const request of send) expectRefused(endpoint, await request(), status);
    });
  }

  /** The valid body with one string field, at `path` (e.g. ['device', 'name']), replaced. */
  function withField(endpoint: Endpoint, path: string[], value: unknown): Record<string, unknown> {
    const body = structuredClone(endpoint.body!());
    let target = body;
    for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
    target[path.at(-1)!] = value;
    return body;
  }

  function stringFields(value: Record<string, unknown>, prefix: string[] = []): string[][] {
    return Object.entries(value).flatMap(([key, child]) =>
      typeof child === 'string'
        ? [[...prefix, key]]
        : typeof child === 'object' && child !== null
          ? stringFields(child as Record<string, unknown>, [...prefix, key])
          : [],
    );
  }

  describe.each(BODY_ENDPOINTS.map((endpoint) => [endpoint.name, endpoint] as const))('%s', (_, endpoint) => {
    it('accepts its valid body without a 4xx for the shape (the control for the cases below)', async () => {
      const response = await json(endpoint, endpoint.body!());
      // Wrong credentials or unknown tokens by design, but never a validation or parse error.
      expect([200, 201, 401, 403, 400]).toContain(response.status);
      if (response.status === 400) expect(response.body.error).toBe('invalid_grant');
      if (endpoint.name === 'POST /auth/register') {
        await api
          .http()
          .post('/auth/login')
          .send({ email: 'new-user@example.com', password: 'password-123', device: { name: 'x' } })
          .expect(200);
      }
    });

    it('refuses malformed JSON with 400', async () => {
      await expectAllRefused(endpoint, 400, [
        () => json(endpoint, '{"email":'),
        () => json(endpoint, '{'),
        () => json(endpoint, "{'single':'quotes'}"),
        () => json(endpoint, '{"a":1,}'),
        () => json(endpoint, 'NaN'),
        () => json(endpoint, ''),
        () => call(endpoint, 'application/json', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a])),
      ]);
    });

    it('refuses JSON that is not an object with 400', async () => {
      await expectAllRefused(
        endpoint,
        400,
        ['null', '[]', '[{}]', '"text"', '42', 'true'].map((body) => () => json(endpoint, body)),
      );
    });

    it('refuses other content types with 415', async () => {
      const others = [
        'text/plain',
        'application/xml',
        'text/html',
        'multipart/form-data; boundary=x',
        'application/octet-stream',
        'application/vnd.api+json',
        'application/json-patch+json',
        ';;;',
      ];
      if (!endpoint.oauth) others.push('application/x-www-form-urlencoded');
      await expectAllRefused(
        endpoint,
        415,
        others.map((type) => () => call(endpoint, type, 'email=a%40example.com&password=password-123')),
      );
    });

    it('refuses a wrong JSON type in each field with 400', async () => {
      // null in an optional field (device.platform) means "absent", which is fine.
      const wrongTypes = (path: string[]) => [
        42,
        -1.5,
        true,
        [],
        ['x'],
        {},
        { 0: 'x' },
        ...(path.join('.') === 'device.platform' ? [] : [null]),
      ];
      const objectFields = Object.keys(endpoint.body!()).filter((key) => typeof endpoint.body!()[key] === 'object');
      await expectAllRefused(endpoint, 400, [
        ...stringFields(endpoint.body!()).flatMap((path) =>
          wrongTypes(path).map((value) => () => json(endpoint, withField(endpoint, path, value))),
        ),
        ...objectFields.flatMap((key) =>
          [42, 'Phone', [], [{ name: 'Phone' }], null, true].map((value) => () => json(endpoint, withField(endpoint, [key], value))),
        ),
      ]);
    });

    it('refuses operator objects ({"$ne": null} and friends) in each field with 400', async () => {
      const operators: Array<Record<string, unknown>> = [
        { $ne: null },
        { $gt: '' },
        { $regex: '.*' },
        { $where: '1 == 1' },
        { $in: ['a'] },
        { toString: 'x' },
      ];
      await expectAllRefused(
        endpoint,
        400,
        stringFields(endpoint.body!()).flatMap((path) => operators.map((value) => () => json(endpoint, withField(endpoint, path, value)))),
      );
    });

    it('refuses __proto__ and constructor keys, top-level or nested, with 400 and pollutes nothing', async () => {
      const body = JSON.stringify(endpoint.body!()).slice(1, -1);
      await expectAllRefused(endpoint, 400, [
        () => json(endpoint, `{"__proto__":{"polluted":true},${body}}`),
        () => json(endpoint, `{${body},"constructor":{"prototype":{"polluted":true}}}`),
        () => json(endpoint, `{${body},"nested":{"__proto__":{"polluted":true}}}`),
        // Once a 201 (an unknown field let through) and, nested, a TypeError in class-transformer (500).
        () => json(endpoint, `{${body},"constructor":true}`),
        ...stringFields(endpoint.body!()).map((path) => () => json(endpoint, withField(endpoint, path, { constructor: true }))),
        ...(endpoint.oauth
          ? [`${FORM_OF[endpoint.name]}&__proto__=x`, `${FORM_OF[endpoint.name]}&constructor=x`].map(
              (form) => () => call(endpoint, 'application/x-www-form-urlencoded', form),
            )
          : []),
      ]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    });

    it('refuses unknown fields with 400', async () => {
      await expectAllRefused(endpoint, 400, [
        () => json(endpoint, { ...endpoint.body!(), admin: true }),
        () => json(endpoint, { ...endpoint.body!(), role: 'admin', userId: stranger.userId }),
        () => json(endpoint, { ...endpoint.body!(), id: stranger.tokens.device_id, current: true }),
      ]);
    });

    it('refuses strings over the field limits with 400, without hashing them', async () => {
      // Not a time bound (argon2's cost barely depends on the length): the hasher is not called.
      const hasher = api.app.get(PasswordHasher);
      const calls = [jest.spyOn(hasher, 'hash'), jest.spyOn(hasher, 'verify'), jest.spyOn(hasher, 'verifyNothing')];
      try {
        await expectAllRefused(
          endpoint,
          400,
          stringFields(endpoint.body!()).map((path) => () => json(endpoint, withField(endpoint, path, 'x'.repeat(12_000)))),
        );
        for (const spy of calls) expect(spy).not.toHaveBeenCalled();
      } finally {
        for (const spy of calls) spy.mockRestore();
      }
    });

    it('refuses strings with lone UTF-16 surrogates with 400', async () => {
      await expectAllRefused(endpoint, 400, [
        ...stringFields(endpoint.body!()).map(
          (path) => () => json(endpoint, JSON.stringify(withField(endpoint, path, 'MARK')).replace('MARK', 'a\\ud800b')),
        ),
        () => json(endpoint, JSON.stringify({ ...endpoint.body!(), MARK: 1 }).replace('MARK', '\\udc00')),
      ]);
    });

    it('refuses JSON nested thousands of levels deep with 400 (not a stack overflow)', async () => {
      const deep = (open: string, close: string, levels: number) => open.repeat(levels) + '1' + close.repeat(levels);
      await expectAllRefused(endpoint, 400, [
        ...stringFields(endpoint.body!()).map(
          (path) => () => json(endpoint, JSON.stringify(withField(endpoint, path, 'MARK')).replace('"MARK"', deep('[', ']', 5000))),
        ),
        () => json(endpoint, JSON.stringify({ ...endpoint.body!(), extra: 'MARK' }).replace('"MARK"', deep('{"a":', '}', 2000))),
      ]);
    });

    it('refuses a body over 16 KiB with 413', async () => {
      await expectAllRefused(endpoint, 413, [
        () => json(endpoint, { ...endpoint.body!(), padding: 'x'.repeat(17 * 1024) }),
        () => json(endpoint, `[${'0,'.repeat(9000)}0]`),
      ]);
    });
  });

  describe.each(BODYLESS_ENDPOINTS.map((endpoint) => [endpoint.name, endpoint] as const))('%s', (_, endpoint) => {
    it('refuses an unparsable, oversized or mistyped body before acting', async () => {
      await expectDatabaseUnchanged(api, async () => {
        expectRefused(endpoint, await call(endpoint, 'application/json', '{"x":'), 400);
        expectRefused(endpoint, await call(endpoint, 'application/json', JSON.stringify({ padding: 'x'.repeat(17 * 1024) })), 413);
        expectRefused(endpoint, await call(endpoint, 'text/plain', 'hello'), 415);
        expectRefused(endpoint, await call(endpoint, 'application/json', `{"a":${'['.repeat(3000)}${']'.repeat(3000)}}`), 400);
      });
    });
  });

  describe('field rules', () => {
    const register = BODY_ENDPOINTS[0];
    const login = BODY_ENDPOINTS[1];
    const rename = BODY_ENDPOINTS[5];

    it.each([
      ['an email of 255 characters', register, { email: `${'a'.repeat(243)}@example.com`, password: 'password-123' }, 'email'],
      ['a password of 129 characters', register, { email: 'long-pw@example.com', password: 'p'.repeat(129) }, 'password'],
      ['a new password of 129 characters', BODY_ENDPOINTS[4], { currentPassword: 'x', newPassword: 'p'.repeat(129) }, 'newPassword'],
      ['a device name of 65 characters', login, { email: 'a@example.com', password: 'x', device: { name: 'n'.repeat(65) } }, 'device.name'],
      ['a device name of 65 astral characters', rename, { name: '😀'.repeat(65) }, 'name'],
      ['a NUL in a device name', rename, { name: 'Phone\u0000' }, 'name'],
      ['an ANSI escape in a device name', rename, { name: '\u001b[31mred\u001b[0m' }, 'name'],
      ['a line separator in a device name', rename, { name: 'Line\u2028break' }, 'name'],
      ['a C1 control character in a device name', rename, { name: 'Next\u0085line' }, 'name'],
      [
        'a CR LF in a device name (log injection)',
        login,
        { email: 'a@example.com', password: 'x', device: { name: 'Phone\r\n[Nest] ERROR forged' } },
        'device.name',
      ],
      [
        'a CR LF in an email (header injection)',
        register,
        { email: 'a@example.com\r\nBcc: all@example.com', password: 'password-123' },
        'email',
      ],
      ['a NUL in an email', register, { email: 'nul\u0000@example.com', password: 'password-123' }, 'email'],
      [
        'a platform with a NUL',
        login,
        { email: 'a@example.com', password: 'x', device: { name: 'Phone', platform: 'ios\u0000' } },
        'device.platform',
      ],
      ['an empty password on sign-in', login, { email: 'a@example.com', password: '', device: { name: 'Phone' } }, 'password'],
      ['an SQL comment as email', register, { email: "admin@example.com'--", password: 'password-123' }, 'email'],
      [
        'an unknown field inside device',
        login,
        { email: 'a@example.com', password: 'x', device: { name: 'Phone', trusted: true } },
        'device.trusted',
      ],
    ])('refuses %s with a 400 naming the field', async (_, endpoint, body, field) => {
      await expectDatabaseUnchanged(api, async () => {
        const response = await json(endpoint, body);
        expectProblem(response, 400);
        expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      });
    });

    it.each([
      ["' OR '1'='1", "' OR '1'='1", 400],
      ["victim@example.com' --", 'x', 400],
      ['victim@example.com', "' OR 1=1 --", 401],
      ['victim@example.com', '" OR ""="', 401],
      ['victim@example.com', "x'); DROP TABLE users; --", 401],
    ])('treats SQL in sign-in fields (%p / %p) as data: %i, no session, only a login_failed event', async (email, password, status) => {
      const before = await databaseState(api);
      const response = await json(login, { email: email.replace('victim@example.com', user.email), password, device: { name: 'x' } });
      expectProblem(response, status);
      // A failed sign-in's event is written just after the answer (equal timing for unknown emails).
      if (status === 401) await waitFor(async () => (await databaseState(api)).securityEvents > before.securityEvents, 2000);
      const after = await databaseState(api);
      expect({ ...after, rows: undefined, securityEvents: undefined }).toEqual({ ...before, rows: undefined, securityEvents: undefined });
      // A wrong password for a real account is recorded (the account's security activity).
      expect(after.securityEvents - before.securityEvents).toBe(status === 401 ? 1 : 0);
      const events = await api.dataSource
        .getRepository(SecurityEventEntity)
        .find({ where: { userId: user.userId }, order: { createdAt: 'DESC' }, take: 1 });
      if (status === 401) expect(events[0].type).toBe('login_failed');
    });

    it('keeps a 4 KiB User-Agent to 512 characters on the device it records', async () => {
      const response = await api
        .http()
        .post('/auth/login')
        .set('User-Agent', 'U'.repeat(4096))
        .send({ email: user.email, password: user.password, device: { name: 'Long UA' } })
        .expect(200);
      const devices = await api.http().get('/devices').set('Authorization', `Bearer ${response.body.access_token}`).expect(200);
      const recorded = (devices.body.devices as Array<{ id: string; userAgent: string }>).find(
        (device) => device.id === response.body.device_id,
      );
      expect(recorded?.userAgent).toBe('U'.repeat(512));
    });
  });

  describe('paths', () => {
    it.each([
      ['a device id that is not a UUID', 404, '/devices/not-a-uuid'],
      ['a SQL fragment as device id', 404, `/devices/${encodeURIComponent("' OR '1'='1")}`],
      ['an encoded path traversal', 404, '/devices/..%2F..%2Fme'],
      ["another user's device", 404, ''],
      ['an undecodable percent-encoding', 400, '/devices/%E0%A4%A'],
      ['a lone surrogate, percent-encoded', 400, '/devices/%ED%A0%80'],
      ['a path parameter of 500 characters', 414, `/devices/${'a'.repeat(500)}`],
    ])('answers PATCH and DELETE on %s with %i and changes nothing', async (_, status, path) => {
      const target = path || `/devices/${stranger.tokens.device_id}`;
      await expectDatabaseUnchanged(api, async () => {
        for (const method of ['patch', 'delete'] as const) {
          const http = api.http();
          const response = await http[method](target).set('Authorization', `Bearer ${user.tokens.access_token}`).send({ name: 'pwned' });
          expectProblem(response, status);
          expect(response.text).not.toContain('%E0');
        }
      });
      // The stranger's device is untouched and still theirs.
      await api.http().get('/devices').set('Authorization', `Bearer ${stranger.tokens.access_token}`).expect(200);
    });

    it.each([
      ['PUT', '/auth/login'],
      ['DELETE', '/me'],
      ['GET', '/auth/register'],
      ['OPTIONS', '/devices'],
      ['TRACE', '/'],
      ['PROPFIND', '/devices'],
    ])('answers the unknown route %s %s with a problem+json 4xx', async (method, path) => {
      await expectDatabaseUnchanged(api, async () => {
        const agent = api.http() as unknown as Record<string, (path: string) => Test>;
        const response = await agent[method.toLowerCase()](path).set('Authorization', `Bearer ${user.tokens.access_token}`);
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        if (method !== 'TRACE') expectProblem(response, response.status);
        expectNoLeak(response);
      });
    });
  });

  describe('request heads Node itself refuses', () => {
    /** Writes raw bytes to the listening server and returns the raw answer. */
    async function raw(bytes: string): Promise<string> {
      const server = api.app.getHttpServer();
      if (!server.listening) await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      const { port } = server.address() as AddressInfo;
      return new Promise((done, fail) => {
        const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk));
        socket.on('close', () => done(answer));
        socket.on('error', fail);
      });
    }

    afterAll(async () => {
      const server = api.app.getHttpServer();
      if (server.listening) await new Promise((done) => server.close(done));
    });

    it.each([
      ['a malformed request line', 400, 'GARBAGE / HTTP/1.1\r\n\r\n'],
      ['a header without a colon', 400, 'GET /me HTTP/1.1\r\nHost: x\r\nBroken header\r\n\r\n'],
      [
        'both Content-Length and chunked (request smuggling)',
        400,
        'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ],
      ['headers over 16 KiB', 431, `GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(20_000)}\r\n\r\n`],
    ])('answers %s with a problem+json %i', async (_, status, bytes) => {
      await expectDatabaseUnchanged(api, async () => {
        const answer = await raw(bytes);
        const [head, body] = answer.split('\r\n\r\n');
        expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
        expect(head).toMatch(/\r\nContent-Type: application\/problem\+json/i);
        expect(JSON.parse(body)).toEqual({ type: 'about:blank', title: expect.any(String), status, detail: expect.any(String) });
      });
    });
  });
});
