import { SESSION_REVOKED, CREDENTIAL_CHANGE } from '@app/ssf';
import { addReceiver, es256Pem } from '../../../test/support/ssf-receiver.js';
import { startTestApi, type TestApi } from './support/test-api.js';

const PUSH = 'urn:ietf:rfc:8935';
const POLL = 'urn:ietf:rfc:8936';

/** API.md § Shared Signals: the stream management API (SSF 1.0 §8.1), one receiver at a time. */
describe('Shared Signals stream management (e2e)', () => {
  let api: TestApi;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    api = await startTestApi({ JWT_PRIVATE_KEY: es256Pem() });
    alice = await addReceiver(api.dataSource, 'alice', 'https://alice.example');
    bob = await addReceiver(api.dataSource, 'bob', 'https://bob.example');
  });

  afterAll(async () => {
    await api.close();
  });

  const as = (token: string | null) => ({
    get: (path: string) => (token ? api.http().get(path).set('Authorization', `Bearer ${token}`) : api.http().get(path)),
    send: (method: 'post' | 'patch' | 'put' | 'delete', path: string, body?: unknown) => {
      const request = api.http()[method](path);
      const authorized = token ? request.set('Authorization', `Bearer ${token}`) : request;
      return body === undefined ? authorized : authorized.send(body as object);
    },
  });
  const create = async (token: string, body: unknown = { delivery: { method: POLL }, events_requested: [SESSION_REVOKED] }) =>
    (await as(token).send('post', '/ssf/streams', body).expect(201)).body as { stream_id: string; aud: string };

  it('creates, reads, updates, replaces and deletes a stream', async () => {
    const created = await as(alice)
      .send('post', '/ssf/streams', {
        delivery: { method: PUSH, endpoint_url: 'https://alice.example/events', authorization_header: 'Bearer x' },
        events_requested: [SESSION_REVOKED, 'https://example.com/unknown-event'],
        description: 'sessions',
      })
      .expect(201);
    const id = created.body.stream_id as string;
    expect(created.body).toEqual({
      stream_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iss: api.config.jwt.issuer,
      aud: 'https://alice.example',
      delivery: { method: PUSH, endpoint_url: 'https://alice.example/events', authorization_header: 'Bearer x' },
      events_supported: expect.arrayContaining([SESSION_REVOKED, CREDENTIAL_CHANGE]),
      events_requested: [SESSION_REVOKED, 'https://example.com/unknown-event'],
      events_delivered: [SESSION_REVOKED],
      description: 'sessions',
    });
    expect((await as(alice).get(`/ssf/streams?stream_id=${id}`).expect(200)).body).toEqual(created.body);
    const updated = await as(alice)
      .send('patch', '/ssf/streams', { stream_id: id, events_requested: [CREDENTIAL_CHANGE] })
      .expect(200);
    expect(updated.body).toMatchObject({ events_delivered: [CREDENTIAL_CHANGE], description: 'sessions', delivery: { method: PUSH } });
    const replaced = await as(alice)
      .send('put', '/ssf/streams', { stream_id: id, delivery: { method: POLL } })
      .expect(200);
    expect(replaced.body).toMatchObject({ events_requested: [], events_delivered: [], delivery: { method: POLL } });
    expect(replaced.body.description).toBeUndefined();
    expect(replaced.body.delivery.endpoint_url).toMatch(new RegExp(`/ssf/poll/${id}$`));
    expect((await as(alice).get(`/ssf/status?stream_id=${id}`).expect(200)).body).toEqual({ stream_id: id, status: 'enabled' });
    await as(alice).send('delete', `/ssf/streams?stream_id=${id}`).expect(204);
    await as(alice).get(`/ssf/streams?stream_id=${id}`).expect(404);
  });

  it('lets no receiver see or change another receiver’s stream, and gives each stream its receiver’s audience', async () => {
    const mine = await create(alice);
    const theirs = await create(bob);
    expect(mine.aud).toBe('https://alice.example');
    expect(theirs.aud).toBe('https://bob.example');
    const listed = (await as(alice).get('/ssf/streams').expect(200)).body as { stream_id: string; aud: string }[];
    expect(listed.map((stream) => stream.stream_id)).toContain(mine.stream_id);
    expect(listed.map((stream) => stream.stream_id)).not.toContain(theirs.stream_id);
    expect(listed.every((stream) => stream.aud === 'https://alice.example')).toBe(true);
    const id = theirs.stream_id;
    await as(alice).get(`/ssf/streams?stream_id=${id}`).expect(404);
    await as(alice).get(`/ssf/status?stream_id=${id}`).expect(404);
    await as(alice).send('patch', '/ssf/streams', { stream_id: id, description: 'mine now' }).expect(404);
    await as(alice)
      .send('put', '/ssf/streams', { stream_id: id, delivery: { method: POLL } })
      .expect(404);
    await as(alice).send('post', '/ssf/status', { stream_id: id, status: 'disabled' }).expect(404);
    await as(alice).send('post', '/ssf/verify', { stream_id: id }).expect(404);
    await as(alice).send('post', `/ssf/poll/${id}`, { returnImmediately: true }).expect(404);
    await as(alice).send('delete', `/ssf/streams?stream_id=${id}`).expect(404);
    expect((await as(bob).get(`/ssf/status?stream_id=${id}`).expect(200)).body).toEqual({ stream_id: id, status: 'enabled' });
    // The audience is the transmitter's to set.
    await as(alice).send('patch', '/ssf/streams', { stream_id: mine.stream_id, aud: 'https://bob.example' }).expect(400);
  });

  it('refuses requests without a receiver token, or with a wrong one, with 401', async () => {
    const anonymous = await as(null).get('/ssf/streams').expect(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="ssf"');
    const wrong = await as('x'.repeat(43)).get('/ssf/streams').expect(401);
    expect(wrong.headers['www-authenticate']).toBe('Bearer realm="ssf", error="invalid_token"');
    // An access token is not a receiver token.
    await as(api.config.signingKeys.static!.id).send('post', '/ssf/verify', {}).expect(401);
  });

  it('answers bad input with 400 naming the member, never a 500', async () => {
    const { stream_id } = await create(alice);
    const bad: [string, 'post' | 'patch' | 'put' | 'delete', unknown, string][] = [
      ['/ssf/streams', 'post', [], ''],
      ['/ssf/streams', 'post', { delivery: { method: 'smoke-signals' } }, 'delivery.method'],
      ['/ssf/streams', 'post', { delivery: { method: PUSH } }, 'delivery.endpoint_url'],
      ['/ssf/streams', 'post', { delivery: { method: PUSH, endpoint_url: 'ftp://x.example' } }, 'delivery.endpoint_url'],
      ['/ssf/streams', 'post', { delivery: { method: PUSH, endpoint_url: 'https://u:p@x.example' } }, 'delivery.endpoint_url'],
      [
        '/ssf/streams',
        'post',
        { delivery: { method: PUSH, endpoint_url: 'https://x.example', authorization_header: 'a\r\nb' } },
        'delivery.authorization_header',
      ],
      ['/ssf/streams', 'post', { events_requested: 'all' }, 'events_requested'],
      ['/ssf/streams', 'post', { events_requested: Array(51).fill(SESSION_REVOKED) }, 'events_requested'],
      ['/ssf/streams', 'post', { description: 'x'.repeat(201) }, 'description'],
      ['/ssf/streams', 'post', { stream_id }, 'stream_id'],
      ['/ssf/streams', 'post', { format: 'iss_sub' }, 'format'],
      ['/ssf/streams', 'patch', { description: 'no id' }, 'stream_id'],
      ['/ssf/streams', 'patch', { stream_id: 'not-a-uuid' }, 'stream_id'],
      ['/ssf/streams', 'put', { stream_id, iss: 'someone-else' }, 'iss'],
      ['/ssf/streams?stream_id=nope', 'delete', undefined, 'stream_id'],
      ['/ssf/status', 'post', { stream_id, status: 'on' }, 'status'],
      ['/ssf/status', 'post', { stream_id, status: 'paused', reason: 7 }, 'reason'],
      ['/ssf/verify', 'post', { stream_id, state: 'x'.repeat(1001) }, 'state'],
      [`/ssf/poll/${stream_id}`, 'post', { maxEvents: -1 }, 'maxEvents'],
      [`/ssf/poll/${stream_id}`, 'post', { maxEvents: 1.5 }, 'maxEvents'],
      [`/ssf/poll/${stream_id}`, 'post', { ack: 'jti' }, 'ack'],
      [`/ssf/poll/${stream_id}`, 'post', { ack: [{}] }, 'ack'],
      [`/ssf/poll/${stream_id}`, 'post', { setErrs: { jti: 'x' } }, 'setErrs'],
      [`/ssf/poll/${stream_id}`, 'post', { returnImmediately: 'yes' }, 'returnImmediately'],
      [`/ssf/poll/${stream_id}`, 'post', { wait: 5 }, 'wait'],
    ];
    for (const [path, method, body, field] of bad) {
      const response = await as(alice).send(method, path, body);
      expect({ path, method, body, status: response.status }).toEqual({ path, method, body, status: 400 });
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect({ path, fields: (response.body.errors as { field: string }[]).map((error) => error.field) }).toEqual({
        path,
        fields: expect.arrayContaining([field]),
      });
    }
    await as(alice).get('/ssf/status').expect(400);
    // A JSON body that is not JSON: the API's usual 400.
    const broken = await api
      .http()
      .post('/ssf/streams')
      .set('Authorization', `Bearer ${alice}`)
      .set('Content-Type', 'application/json')
      .send('{');
    expect(broken.status).toBe(400);
  });

  it('holds a receiver to 10 streams (409), and refuses a verification of a disabled stream (409)', async () => {
    const carol = await addReceiver(api.dataSource, 'carol', 'https://carol.example');
    const streams = [];
    for (let n = 0; n < 10; n++) streams.push(await create(carol));
    await as(carol).send('post', '/ssf/streams', {}).expect(409);
    await as(carol).send('post', '/ssf/status', { stream_id: streams[0]!.stream_id, status: 'disabled' }).expect(200);
    await as(carol).send('post', '/ssf/verify', { stream_id: streams[0]!.stream_id }).expect(409);
    await as(carol).send('delete', `/ssf/streams?stream_id=${streams[0]!.stream_id}`).expect(204);
    await create(carol);
  });

  it('holds a receiver to 10 streams under a parallel burst of creates: exactly 10 are made, the rest get 409', async () => {
    const erin = await addReceiver(api.dataSource, 'erin', 'https://erin.example');
    const body = { delivery: { method: POLL }, events_requested: [SESSION_REVOKED] };
    const answers = await Promise.all(Array.from({ length: 30 }, () => as(erin).send('post', '/ssf/streams', body)));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(10);
    expect(statuses.filter((status) => status === 409)).toHaveLength(20);
    const listed = (await as(erin).get('/ssf/streams').expect(200)).body as unknown[];
    expect(listed).toHaveLength(10);
  });
});

describe('Shared Signals with an HS256 key (e2e)', () => {
  it('is off: metadata and stream endpoints answer 404 (an HS256 secret cannot be published)', async () => {
    const api = await startTestApi();
    try {
      const token = await addReceiver(api.dataSource, 'dave', 'https://dave.example');
      await api.http().get('/.well-known/ssf-configuration').expect(404);
      await api.http().get('/ssf/streams').set('Authorization', `Bearer ${token}`).expect(404);
      await api.http().get('/ssf/streams').expect(404);
      await api.http().post(`/ssf/poll/${crypto.randomUUID()}`).set('Authorization', `Bearer ${token}`).send({}).expect(404);
    } finally {
      await api.close();
    }
  });
});
