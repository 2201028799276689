import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { DeviceEntity } from '@app/persistence';
import { AccountActivityService } from '@app/accounts';
import { waitFor as pollUntil } from '../../../../test/support/wait-for.js';
import { bearer, refresh, registerAndLogin, startTestApi, waitFor, type TestApi } from '../support/test-api.js';
import { sendFrom } from './support/send-from.js';
import { expectProblem, type WireResponse } from './support/wire.js';

/**
 * The limits and invariants of API.md § Errors and § Revocation, attacked the way they broke:
 * bursts of parallel requests, not one polite request at a time. Each race runs several
 * rounds, so that one lucky interleaving cannot pass it.
 */
const LIMIT = 10;
const ROUNDS = 3;

const loginBody = (email: string, password: string) => ({ email, password, device: { name: 'Burst' } });
const statuses = (answers: WireResponse[]) => answers.map((answer) => answer.status);
const count = (answers: WireResponse[], status: number) => answers.filter((answer) => answer.status === status).length;
let nextAddress = 2;
/** A loopback client address no earlier request of this file used. */
const freshIp = () => `127.0.${Math.floor(nextAddress / 250) + 1}.${(nextAddress++ % 250) + 2}`;

describe('sign-in limits under parallel bursts (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ LOGIN_RATE_LIMIT: `${LIMIT}/15m` });
  });

  afterAll(async () => {
    await api.close();
  });

  it.each(Array.from({ length: ROUNDS }, (_, round) => round + 1))(
    'lets at most LOGIN_RATE_LIMIT of 200 parallel guesses from one IP check a password, the right one among them (round %i)',
    async () => {
      const { email, password, userId } = await registerAndLogin(api);
      const ip = freshIp();
      const guesses = Array.from({ length: 200 }, (_, index) => (index === 150 ? password : `guess number ${index}`));
      const answers = await Promise.all(guesses.map((guess) => sendFrom(api, ip, 'POST', '/auth/login', loginBody(email, guess))));
      expect(new Set(statuses(answers))).toEqual(new Set(statuses(answers).filter((status) => [200, 401, 429].includes(status))));
      expect(answers.length - count(answers, 429)).toBeLessThanOrEqual(LIMIT);
      for (const limited of answers.filter((answer) => answer.status === 429))
        expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Only a password check that was counted can have made a device.
      const devices = await api.dataSource.getRepository(DeviceEntity).countBy({ userId });
      expect(devices).toBe(1 + count(answers, 200));
    },
  );

  it('hashes at most LOGIN_RATE_LIMIT of 300 parallel sign-ins for unknown emails from one IP; the rest answer 429', async () => {
    const ip = freshIp();
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, index) =>
        sendFrom(api, ip, 'POST', '/auth/login', loginBody(`unknown-${index}-${Date.now()}@example.com`, 'guess')),
      ),
    );
    expect(count(answers, 401)).toBe(LIMIT);
    expect(count(answers, 429)).toBe(300 - LIMIT);
  });

  it.each(Array.from({ length: ROUNDS }, (_, round) => round + 1))(
    'lets at most LOGIN_RATE_LIMIT of 60 parallel current-password guesses with a stolen token run; the password stays (round %i)',
    async () => {
      const { email, password, tokens } = await registerAndLogin(api);
      const ip = freshIp();
      const guesses = Array.from({ length: 60 }, (_, index) => (index === 45 ? password : `guess number ${index}`));
      const answers = await Promise.all(
        guesses.map((currentPassword) =>
          sendFrom(
            api,
            ip,
            'POST',
            '/auth/password',
            { currentPassword, newPassword: 'attacker password' },
            { authorization: bearer(tokens) },
          ),
        ),
      );
      expect(answers.length - count(answers, 429)).toBeLessThanOrEqual(LIMIT);
      expect(count(answers, 204) + count(answers, 403) + count(answers, 429)).toBe(answers.length);
      // The old password still signs in unless the right guess was among the counted ones.
      const signIn = await api.http().post('/auth/login').send(loginBody(email, password));
      expect(signIn.status).toBe(count(answers, 204) === 1 ? 401 : 429);
    },
  );
});

describe('security activity under a flood of failed sign-ins (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ LOGIN_RATE_LIMIT: '1000/15m' });
  });

  afterAll(async () => {
    await api.close();
  });

  it("keeps the attacker's own sign-in on the activity page after 120 failures in parallel bursts, collapsed into one entry", async () => {
    const { email, password, userId } = await registerAndLogin(api);
    const attacker = freshIp();
    const signedIn = await sendFrom(api, attacker, 'POST', '/auth/login', loginBody(email, password));
    expect(signedIn.status).toBe(200);
    // In bursts of 10, within one client's share of the hashing queue.
    for (let burst = 0; burst < 12; burst++) {
      const failures = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          sendFrom(api, attacker, 'POST', '/auth/login', loginBody(email, `guess ${burst}-${index}`)),
        ),
      );
      expect(new Set(statuses(failures))).toEqual(new Set([401]));
    }
    const activity = api.app.get(AccountActivityService);
    // Failed sign-ins are recorded just after their answer leaves (equal timing for unknown emails).
    await waitFor(async () => (await activity.recent(userId)).some((entry) => entry.repeated === 120), 5000);
    const entries = await activity.recent(userId);
    expect(entries.map((entry) => [entry.type, entry.repeated])).toEqual([
      ['login_failed', 120],
      ['login', 1],
      ['login', 1],
      ['registered', 1],
    ]);
    expect(entries[1].deviceId).toBe(signedIn.body.device_id);
  }, 30_000);
});

describe('password hashing queue (e2e)', () => {
  let api: TestApi;

  afterEach(async () => {
    await api.close();
  });

  it("serves another client's sign-in before most of one client's parallel burst", async () => {
    api = await startTestApi({ LOGIN_RATE_LIMIT: '1000/15m' });
    const finished: string[] = [];
    const burstIp = freshIp();
    const burst = Array.from({ length: 16 }, (_, index) =>
      sendFrom(api, burstIp, 'POST', '/auth/login', loginBody(`burst-${index}@example.com`, 'guess')).then((answer) => {
        finished.push('burst');
        return answer;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const single = sendFrom(api, freshIp(), 'POST', '/auth/login', loginBody('single@example.com', 'guess')).then((answer) => {
      finished.push('single');
      return answer;
    });
    const answers = await Promise.all([...burst, single]);
    expect(new Set(statuses(answers))).toEqual(new Set([401]));
    // First come, first served would finish it last (after all 16); taking turns, early.
    expect(finished.length - 1 - finished.indexOf('single')).toBeGreaterThanOrEqual(8);
  });

  it('answers 503 with Retry-After, never a 500, once the queue is full', async () => {
    api = await startTestApi({ LOGIN_RATE_LIMIT: '1000/15m', PASSWORD_QUEUE_LIMIT: '8' });
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        sendFrom(api, freshIp(), 'POST', '/auth/login', loginBody(`full-${index}@example.com`, 'guess')),
      ),
    );
    expect(count(answers, 401) + count(answers, 503)).toBe(40);
    expect(count(answers, 503)).toBeGreaterThan(0);
    for (const busy of answers.filter((answer) => answer.status === 503)) {
      expectProblem(busy, 503);
      expect(Number(busy.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // And one client cannot take the whole queue: a share of it at most (here one waiting).
    const oneClient = freshIp();
    const burst = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        sendFrom(api, oneClient, 'POST', '/auth/login', loginBody(`one-${index}@example.com`, 'guess')),
      ),
    );
    expect(count(burst, 503)).toBeGreaterThan(0);
  });
});

describe('password change against sign-ins in flight (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });

  afterAll(async () => {
    await api.close();
  });

  it.each(Array.from({ length: ROUNDS + 2 }, (_, round) => round + 1))(
    'leaves no device of a sign-in that checked the old password usable once the change answered 204 (round %i)',
    async () => {
      const { email, password, tokens } = await registerAndLogin(api);
      const change = api
        .http()
        .post('/auth/password')
        .set('authorization', bearer(tokens))
        .send({ currentPassword: password, newPassword: 'a brand new password' });
      const logins = Array.from({ length: 8 }, async (_, index) => {
        await new Promise((resolve) => setTimeout(resolve, index * 20));
        return api.http().post('/auth/login').send(loginBody(email, password));
      });
      const [changed, ...signIns] = await Promise.all([change, ...logins]);
      expect(changed.status).toBe(204);
      for (const signIn of signIns) {
        expect([200, 401]).toContain(signIn.status);
        if (signIn.status !== 200) continue;
        await api.http().get('/me').set('authorization', bearer(signIn.body.access_token)).expect(401);
        const refused = await refresh(api, signIn.body.refresh_token).expect(400);
        expect(refused.body.error).toBe('invalid_grant');
      }
      // The changer's own device is untouched.
      await api.http().get('/me').set('authorization', bearer(tokens)).expect(200);
    },
  );

  it('lets only one of two parallel changes that checked the same old password win', async () => {
    const { password, tokens } = await registerAndLogin(api);
    const change = (newPassword: string) =>
      api.http().post('/auth/password').set('authorization', bearer(tokens)).send({ currentPassword: password, newPassword });
    const answers = await Promise.all([change('first new password'), change('second new password')]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([204, 403]);
  });
});

describe('emails typed two ways (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });

  afterAll(async () => {
    await api.close();
  });

  it('makes a composed and a decomposed spelling, in any case, one account', async () => {
    const composed = `\u00e9va-${Date.now()}@example.com`;
    const decomposed = composed.normalize('NFD').toUpperCase();
    const registered = await api.http().post('/auth/register').send({ email: composed, password: 'password-123' }).expect(201);
    expect(registered.body.email).toBe(composed);
    await api.http().post('/auth/register').send({ email: decomposed, password: 'password-123' }).expect(409);
    await api.http().post('/auth/login').send(loginBody(decomposed, 'password-123')).expect(200);
  });

  it.each([
    ['a zero-width space', 'ann\u200b@example.com'],
    ['a bidi override', 'ann\u202e@example.com'],
    ['a no-break space', 'ann\u00a0x@example.com'],
    ['a control character', 'ann\u0001@example.com'],
  ])('refuses an email with %s with a 400 naming the field', async (_, email) => {
    const response = await api.http().post('/auth/register').send({ email, password: 'password-123' }).expect(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'email' })]);
  });
});

describe('bodyless endpoints with an empty body (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });

  afterAll(async () => {
    await api.close();
  });

  it('accepts an empty body sent as application/json on revoke-others, device delete and logout', async () => {
    const { email, password, tokens } = await registerAndLogin(api);
    const emptyJson = (token: string) => ({ authorization: bearer(token), 'content-type': 'application/json' });
    const second = await api.http().post('/auth/login').send(loginBody(email, password)).expect(200);
    const revoked = await api.http().post('/devices/revoke-others').set(emptyJson(tokens.access_token)).send('').expect(200);
    expect(revoked.body).toEqual({ revoked: 1 });
    const third = await api.http().post('/auth/login').send(loginBody(email, password)).expect(200);
    await api.http().delete(`/devices/${third.body.device_id}`).set(emptyJson(tokens.access_token)).send('').expect(204);
    await api.http().post('/auth/logout').set(emptyJson(tokens.access_token)).send('').expect(204);
    expect(second.body.device_id).not.toBe(third.body.device_id);
  });

  it('answers an empty body where one is needed with a 400 naming the fields', async () => {
    const response = await api.http().post('/auth/login').set('content-type', 'application/json').send('').expect(400);
    expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual(expect.arrayContaining(['email', 'password']));
  });
});

describe('TRUST_PROXY (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ TRUST_PROXY: '127.0.0.1', LOGIN_RATE_LIMIT: '3/15m' });
  });

  afterAll(async () => {
    await api.close();
  });

  const viaProxy = (forwardedFor: string, email: string, password = 'guess') =>
    sendFrom(api, '127.0.0.1', 'POST', '/auth/login', loginBody(email, password), { 'X-Forwarded-For': forwardedFor });

  it('counts each client behind the trusted proxy by its own address, and a client cannot spoof another', async () => {
    for (let i = 0; i < 3; i++) expect((await viaProxy('203.0.113.1', `a-${i}-${Date.now()}@example.com`)).status).toBe(401);
    expect((await viaProxy('203.0.113.1', `a-4-${Date.now()}@example.com`)).status).toBe(429);
    // A spoofed left-most entry does not help: the right-most untrusted address is the client.
    expect((await viaProxy('198.51.100.9, 203.0.113.1', `a-5-${Date.now()}@example.com`)).status).toBe(429);
    // Another client behind the same proxy is not limited.
    expect((await viaProxy('203.0.113.2', `b-${Date.now()}@example.com`)).status).toBe(401);
  });

  it('records the forwarded client address on the device, and ignores the header from an untrusted peer', async () => {
    const { email, password } = await registerAndLogin(api);
    const signedIn = await viaProxy('192.0.2.44', email, password);
    expect(signedIn.status).toBe(200);
    const device = await api.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: signedIn.body.device_id });
    expect(device.ip).toBe('192.0.2.44');
    const direct = await sendFrom(api, '127.0.0.9', 'POST', '/auth/login', loginBody(email, password), { 'X-Forwarded-For': '192.0.2.45' });
    const directDevice = await api.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: direct.body.device_id });
    expect(directDevice.ip).toBe('127.0.0.9');
  });
});

describe('REQUEST_TIMEOUT (e2e)', () => {
  let api: TestApi;
  let port: number;

  beforeAll(async () => {
    api = await startTestApi({ REQUEST_TIMEOUT: '2s' });
    const server = api.app.getHttpServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await api.close();
  });

  /**
   * Opens a connection, sends `head`, then one more byte every 300 ms (which never completes the
   * request within the test), and polls until the server closes it. The deadline is generous, not
   * a latency bound: only a connection the server never closes fails it.
   */
  async function trickle(head: string, drip: string): Promise<{ closedAfterMs: number; answer: string }> {
    const started = Date.now();
    let answer = '';
    let closedAfterMs: number | undefined;
    const socket: Socket = connect(port, '127.0.0.1', () => socket.write(head));
    const timer = setInterval(() => socket.writable && socket.write(drip), 300);
    socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    socket.on('close', () => (closedAfterMs = Date.now() - started));
    try {
      await pollUntil(() => closedAfterMs, { timeoutMs: 20_000, what: 'the server closing a trickling connection' });
    } finally {
      clearInterval(timer);
      socket.destroy();
    }
    return { closedAfterMs: closedAfterMs!, answer };
  }

  it('ends 50 connections that trickle a body or headers a byte at a time (REQUEST_TIMEOUT)', async () => {
    const bodies = Array.from({ length: 25 }, () =>
      trickle('POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{', ' '),
    );
    const heads = Array.from({ length: 25 }, () => trickle('GET /me HTTP/1.1\r\nHost: x\r\n', 'X'));
    const results = await Promise.all([...bodies, ...heads]);
    // Not before the timeout: the clients were still sending.
    for (const { closedAfterMs } of results) expect(closedAfterMs).toBeGreaterThanOrEqual(1500);
    expect(results.filter(({ answer }) => answer.startsWith('HTTP/1.1 408')).length).toBeGreaterThan(0);
  });
});
