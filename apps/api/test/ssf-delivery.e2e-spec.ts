import { jest } from '@jest/globals';
import { IsNull } from 'typeorm';
import { SsfEventEntity } from '@app/persistence';
import { CREDENTIAL_CHANGE, SESSION_REVOKED, SsfPushDispatcher, VERIFICATION } from '@app/ssf';
import { addReceiver, es256Pem, SsfTestReceiver, type ReceivedSet, type StreamConfig } from '../../../test/support/ssf-receiver.js';
import { listen } from './support/ssf.js';
import { bearer, login, refresh, registerAndLogin, startTestApi, waitFor, type TestApi } from './support/test-api.js';

jest.setTimeout(120_000);

const sessionOf = (set: ReceivedSet) => (set.claims.sub_id as { session?: { id: string } }).session?.id;
const userOf = (set: ReceivedSet) => (set.claims.sub_id as { user?: { id: string } }).user?.id ?? (set.claims.sub_id as { id?: string }).id;
const eventOf = (set: ReceivedSet) => Object.entries(set.claims.events)[0]!;

/**
 * API.md § Shared Signals, end to end: two receivers written with `jose` alone (not our
 * verifier) subscribe, one by push (RFC 8935) and one by poll (RFC 8936), verify their streams,
 * and hear one correct SET for every device revocation, whichever path caused it: logout,
 * DELETE /devices/:id, reuse detection, a password change (the dashboard's and an operator's
 * revocations: apps/admin/test/ssf-delivery.e2e-spec.ts; a killed process: ssf-crash).
 */
describe('Shared Signals delivery (e2e)', () => {
  const pem = es256Pem();
  let api: TestApi;
  let base: string;
  let push: SsfTestReceiver;
  let poll: SsfTestReceiver;
  let pushStream: StreamConfig;
  let pollStream: StreamConfig;

  beforeAll(async () => {
    api = await startTestApi({ JWT_PRIVATE_KEY: pem, REFRESH_REUSE_GRACE: '0' });
    base = await listen(api);
    // The push receiver refuses its very first delivery with a 500: that SET must come again.
    push = await new SsfTestReceiver(
      base,
      await addReceiver(api.dataSource, 'push-receiver', 'https://push.receiver.example'),
      'https://push.receiver.example',
      undefined,
      (_, index) => (index === 0 ? 500 : 202),
    ).listen();
    poll = new SsfTestReceiver(
      base,
      await addReceiver(api.dataSource, 'poll-receiver', 'https://poll.receiver.example'),
      'https://poll.receiver.example',
    );
    await push.discover();
    await poll.discover();
    pushStream = await push.createStream('push', [SESSION_REVOKED, CREDENTIAL_CHANGE]);
    pollStream = await poll.createStream('poll', [SESSION_REVOKED, CREDENTIAL_CHANGE]);
  });

  afterAll(async () => {
    await api?.close();
    await push?.close();
  });

  /** Polls (acknowledging everything seen) until `done` holds for what arrived; returns all of it. */
  async function pollUntil(done: (sets: ReceivedSet[]) => boolean, seen: ReceivedSet[] = []): Promise<ReceivedSet[]> {
    await waitFor(async () => {
      const answer = await poll.poll(pollStream, { ack: seen.map((set) => set.claims.jti!), returnImmediately: true });
      seen.push(...answer.sets.filter((set) => !seen.some((known) => known.claims.jti === set.claims.jti)));
      return done(seen);
    }, 20_000);
    await poll.poll(pollStream, { ack: seen.map((set) => set.claims.jti!), maxEvents: 0 });
    return seen;
  }

  it('publishes the metadata a receiver starts from', () => {
    expect(push.metadata).toEqual({
      spec_version: '1_0',
      issuer: api.config.jwt.issuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      delivery_methods_supported: ['urn:ietf:rfc:8935', 'urn:ietf:rfc:8936'],
      configuration_endpoint: `${base}/ssf/streams`,
      status_endpoint: `${base}/ssf/status`,
      verification_endpoint: `${base}/ssf/verify`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6750' }],
      default_subjects: 'ALL',
    });
    expect(pollStream.delivery.endpoint_url).toBe(`${base}/ssf/poll/${pollStream.stream_id}`);
  });

  it('delivers the verification event with the receiver’s state, by push and by poll', async () => {
    expect(
      (await push.call('POST', push.metadata.verification_endpoint, { stream_id: pushStream.stream_id, state: 'push-state-1' })).status,
    ).toBe(204);
    expect(
      (await poll.call('POST', poll.metadata.verification_endpoint, { stream_id: pollStream.stream_id, state: 'poll-state-1' })).status,
    ).toBe(204);
    await waitFor(async () => push.pushed.some((set) => VERIFICATION in set.claims.events));
    const pushed = push.pushed.find((set) => VERIFICATION in set.claims.events)!;
    expect(pushed.header).toEqual({ alg: 'ES256', kid: api.config.signingKeys.static!.id, typ: 'secevent+jwt' });
    expect(pushed.claims).toMatchObject({
      iss: api.config.jwt.issuer,
      aud: 'https://push.receiver.example',
      sub_id: { format: 'opaque', id: pushStream.stream_id },
      events: { [VERIFICATION]: { state: 'push-state-1' } },
    });
    // The 500 answered to the first delivery: the same SET (same jti) came again.
    const attempts = push.pushRequests.filter((request) => request.body.split('.')[1] === pushed.jwt.split('.')[1]);
    expect(attempts.length).toBeGreaterThanOrEqual(1);
    expect(push.pushRequests.length).toBeGreaterThanOrEqual(2);
    const polled = await pollUntil((sets) => sets.some((set) => VERIFICATION in set.claims.events));
    expect(polled.find((set) => VERIFICATION in set.claims.events)!.claims).toMatchObject({
      aud: 'https://poll.receiver.example',
      sub_id: { format: 'opaque', id: pollStream.stream_id },
      events: { [VERIFICATION]: { state: 'poll-state-1' } },
    });
  });

  it('sends one session-revoked SET for each revocation, by every path, to both receivers', async () => {
    const user = await registerAndLogin(api, { name: 'Main phone' });
    const device = async (name: string) => login(api, user.email, user.password, { name });
    const [loggedOut, deleted, stolen, other, another] = await Promise.all(
      ['Logout', 'Deleted', 'Stolen', 'Other', 'Another'].map((name) => device(name)),
    );

    // 1. Logout on the device itself.
    await api.http().post('/auth/logout').set('Authorization', bearer(loggedOut!)).expect(204);
    // 2. DELETE /devices/:id from the main phone.
    await api.http().delete(`/devices/${deleted!.device_id}`).set('Authorization', bearer(user.tokens)).expect(204);
    // 3. Reuse detection: a rotated refresh token presented again.
    await refresh(api, stolen!.refresh_token).expect(200);
    await refresh(api, stolen!.refresh_token).expect(400);
    // 4. A password change ends every other device.
    await api
      .http()
      .post('/auth/password')
      .set('Authorization', bearer(user.tokens))
      .send({ currentPassword: user.password, newPassword: 'another correct horse' })
      .expect(204);

    const expected: Record<string, { initiating_entity: string; reason: RegExp }> = {
      [loggedOut!.device_id]: { initiating_entity: 'user', reason: /signed out on this device/ },
      [deleted!.device_id]: { initiating_entity: 'user', reason: /revoked this device/ },
      [stolen!.device_id]: { initiating_entity: 'system', reason: /used twice/ },
      [other!.device_id]: { initiating_entity: 'user', reason: /password changed/ },
      [another!.device_id]: { initiating_entity: 'user', reason: /password changed/ },
    };
    const ofUser = (sets: ReceivedSet[]) => sets.filter((set) => userOf(set) === user.userId);
    const complete = (sets: ReceivedSet[]) =>
      Object.keys(expected).every((id) => ofUser(sets).some((set) => sessionOf(set) === id)) &&
      ofUser(sets).some((set) => CREDENTIAL_CHANGE in set.claims.events);
    await waitFor(async () => complete(push.pushed), 20_000);
    const polled = await pollUntil(complete);

    for (const [receiver, sets] of [
      ['https://push.receiver.example', push.pushed],
      ['https://poll.receiver.example', polled],
    ] as const) {
      const revoked = ofUser(sets).filter((set) => SESSION_REVOKED in set.claims.events);
      // Exactly one per device (the push receiver got its refused SET again, but accepted it once).
      expect(revoked.map(sessionOf).sort()).toEqual(Object.keys(expected).sort());
      expect(new Set(revoked.map((set) => set.claims.jti)).size).toBe(revoked.length);
      for (const set of revoked) {
        const id = sessionOf(set)!;
        expect(set.header).toEqual({ alg: 'ES256', kid: api.config.signingKeys.static!.id, typ: 'secevent+jwt' });
        expect(Object.keys(set.claims).sort()).toEqual(['aud', 'events', 'iat', 'iss', 'jti', 'sub_id']);
        expect(set.claims).toMatchObject({
          iss: api.config.jwt.issuer,
          aud: receiver,
          sub_id: { format: 'complex', user: { format: 'opaque', id: user.userId }, session: { format: 'opaque', id } },
        });
        const [type, event] = eventOf(set);
        expect(type).toBe(SESSION_REVOKED);
        expect(Object.keys(set.claims.events)).toHaveLength(1);
        expect(event).toMatchObject({ initiating_entity: expected[id]!.initiating_entity, event_timestamp: expect.any(Number) });
        expect((event.reason_admin as { en: string }).en).toMatch(expected[id]!.reason);
        // Ids only: nothing personal anywhere in the SET.
        expect(JSON.stringify(set.claims)).not.toContain(user.email);
        expect(JSON.stringify(set.claims)).not.toMatch(/Logout|Deleted|Stolen|Another|Main phone/);
      }
      const changes = ofUser(sets).filter((set) => CREDENTIAL_CHANGE in set.claims.events);
      expect(changes).toHaveLength(1);
      expect(changes[0]!.claims).toMatchObject({
        sub_id: { format: 'opaque', id: user.userId },
        events: { [CREDENTIAL_CHANGE]: { credential_type: 'password', change_type: 'update', initiating_entity: 'user' } },
      });
    }
    expect(push.refused).toEqual([]);
  });

  it('offers unacknowledged SETs again and acknowledged ones never', async () => {
    const user = await registerAndLogin(api);
    const devices = await Promise.all([1, 2, 3, 4].map((n) => login(api, user.email, user.password, { name: `Phone ${n}` })));
    await api.http().post('/devices/revoke-others').set('Authorization', bearer(user.tokens)).expect(200);
    const first = await poll.poll(pollStream, { maxEvents: 2, returnImmediately: true });
    expect(first.sets).toHaveLength(2);
    expect(first.moreAvailable).toBe(true);
    // Not acknowledged: offered again, the very same SETs.
    const again = await poll.poll(pollStream, { maxEvents: 2, returnImmediately: true });
    expect(again.sets.map((set) => set.claims.jti)).toEqual(first.sets.map((set) => set.claims.jti));
    // Acknowledged: the next two instead, and then the last ones.
    const next = await poll.poll(pollStream, { ack: first.sets.map((set) => set.claims.jti!), maxEvents: 2, returnImmediately: true });
    expect(next.sets.map((set) => set.claims.jti)).not.toEqual(expect.arrayContaining(first.sets.map((set) => set.claims.jti)));
    const last = await poll.poll(pollStream, { ack: next.sets.map((set) => set.claims.jti!), returnImmediately: true });
    const all = [...first.sets, ...next.sets, ...last.sets];
    expect(all.map(sessionOf).sort()).toEqual(devices.map((device) => device.device_id).sort());
    const done = await poll.poll(pollStream, { ack: last.sets.map((set) => set.claims.jti!), returnImmediately: true });
    expect(done).toEqual({ sets: [], moreAvailable: false });
  });

  it('holds a poll until a SET is queued, and answers it at once then', async () => {
    const user = await registerAndLogin(api);
    const phone = await login(api, user.email, user.password, { name: 'Held' });
    const held = poll.poll(pollStream, {});
    await new Promise((resolve) => setTimeout(resolve, 300));
    await api.http().post('/auth/logout').set('Authorization', bearer(phone)).expect(204);
    const answer = await held;
    expect(answer.sets.map(sessionOf)).toEqual([phone.device_id]);
    await poll.poll(pollStream, { ack: answer.sets.map((set) => set.claims.jti!), maxEvents: 0 });
  });

  it('holds the SETs of a paused stream and delivers them once enabled; a disabled stream drops them', async () => {
    const status = (body: object) => poll.call('POST', poll.metadata.status_endpoint, { stream_id: pollStream.stream_id, ...body });
    expect((await status({ status: 'paused', reason: 'maintenance' })).body).toEqual({
      stream_id: pollStream.stream_id,
      status: 'paused',
      reason: 'maintenance',
    });
    const user = await registerAndLogin(api);
    const heldPhone = await login(api, user.email, user.password, { name: 'Held while paused' });
    await api.http().delete(`/devices/${heldPhone.device_id}`).set('Authorization', bearer(user.tokens)).expect(204);
    expect(await poll.poll(pollStream, { returnImmediately: true })).toEqual({ sets: [], moreAvailable: false });
    expect((await status({ status: 'enabled' })).status).toBe(200);
    const released = await pollUntil((sets) => sets.some((set) => sessionOf(set) === heldPhone.device_id));
    expect(released.filter((set) => sessionOf(set) === heldPhone.device_id)).toHaveLength(1);

    expect((await status({ status: 'disabled' })).status).toBe(200);
    const droppedPhone = await login(api, user.email, user.password, { name: 'Dropped while disabled' });
    await api.http().delete(`/devices/${droppedPhone.device_id}`).set('Authorization', bearer(user.tokens)).expect(204);
    expect((await status({ status: 'enabled' })).status).toBe(200);
    expect(await poll.poll(pollStream, { returnImmediately: true })).toEqual({ sets: [], moreAvailable: false });
    expect(await api.dataSource.getRepository(SsfEventEntity).countBy({ streamId: pollStream.stream_id, deliveredAt: IsNull() })).toBe(0);
  });

  it('marks every pushed SET delivered, each accepted once', async () => {
    const sets = api.dataSource.getRepository(SsfEventEntity);
    await waitFor(async () => (await sets.countBy({ streamId: pushStream.stream_id, deliveredAt: IsNull() })) === 0);
    await api.app.get(SsfPushDispatcher).deliverDue();
    const jtis = push.pushed.map((set) => set.claims.jti);
    expect(new Set(jtis).size).toBe(jtis.length);
    expect(await sets.countBy({ streamId: pushStream.stream_id })).toBe(jtis.length);
  });
});
