import { jest } from '@jest/globals';
import { IsNull } from 'typeorm';
import { SecurityEventEntity, WebhookDeliveryEntity, WebhookDeliveryRepository } from '@app/persistence';
import { bearer, login, refresh, registerAndLogin, startTestApi, type TestApi } from './support/test-api.js';
import { waitFor } from '../../../test/support/wait-for.js';
import { refusingUrl, WebhookReceiver } from '../../../test/support/webhook-receiver.js';

jest.setTimeout(90_000);

const SECRET = 'a-webhook-secret-shared-with-the-receiver';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function webhookEnv(url: string) {
  return { SECURITY_WEBHOOK_URL: url, SECURITY_WEBHOOK_SECRET: SECRET, REFRESH_REUSE_GRACE: '0' };
}

/** `count` sequential refreshes of one device, each answered 200; returns the newest refresh token. */
async function refreshes(api: TestApi, refreshToken: string, count: number): Promise<string> {
  let token = refreshToken;
  for (let round = 0; round < count; round++) token = (await refresh(api, token).expect(200)).body.refresh_token as string;
  return token;
}

/**
 * SECURITY_WEBHOOK_URL (API.md § Configuration): security events POSTed as signed JSON from
 * the background, at-least-once, against real local receivers (node:http).
 */
describe('security webhook (e2e)', () => {
  describe('to a receiver that fails once, then accepts', () => {
    let receiver: WebhookReceiver;
    let api: TestApi;

    beforeAll(async () => {
      receiver = await new WebhookReceiver(SECRET, (_, index) => (index === 0 ? 500 : 200)).start();
      api = await startTestApi(webhookEnv(receiver.url));
    });

    afterAll(async () => {
      await api.close();
      await receiver.close();
    });

    it('delivers a refresh token reuse signed over the exact body, retries after the 500 with the same id and bytes, then stops', async () => {
      const user = await registerAndLogin(api, { name: 'Pixel 8', platform: 'android' });
      await refresh(api, user.tokens.refresh_token).expect(200);
      const replay = await refresh(api, user.tokens.refresh_token).expect(400);
      expect(replay.body).toMatchObject({ error: 'invalid_grant', reason: 'reused' });

      await waitFor(async () => receiver.received.length >= 2, { timeoutMs: 15_000 });
      const [refused, accepted] = receiver.received;
      expect(refused.signatureValid).toBe(true);
      expect(accepted.signatureValid).toBe(true);
      expect(accepted.body).toBe(refused.body);
      expect(accepted.at - refused.at).toBeGreaterThanOrEqual(900);
      expect(accepted.headers['content-type']).toBe('application/json');
      expect(accepted.headers['x-signature-256']).toMatch(/^sha256=[0-9a-f]{64}$/);

      const event = await api.dataSource
        .getRepository(SecurityEventEntity)
        .findOneByOrFail({ userId: user.userId, type: 'refresh_token_reused' });
      expect(JSON.parse(accepted.body)).toEqual({
        id: event.id,
        type: 'refresh_token_reused',
        occurredAt: new Date(event.createdAt).toISOString(),
        userId: user.userId,
        deviceId: user.tokens.device_id,
        deviceName: 'Pixel 8',
        reason: 'refresh_token_reused',
        actor: 'system',
      });
      const deliveries = api.dataSource.getRepository(WebhookDeliveryEntity);
      // Marked delivered once the 200 is in (a moment after the receiver saw the request).
      await waitFor(async () => (await deliveries.findOneByOrFail({ id: event.id })).deliveredAt !== null);
      const delivery = await deliveries.findOneByOrFail({ id: event.id });
      expect(delivery).toMatchObject({ attempts: 2, nextAttemptAt: null, claimedUntil: null, lastError: null });
      expect(delivery.deliveredAt).not.toBeNull();

      // Delivered means done: a later event is delivered after it, and it is still sent only twice.
      const later = await registerAndLogin(api);
      await refresh(api, later.tokens.refresh_token).expect(200);
      await refresh(api, later.tokens.refresh_token).expect(400);
      await waitFor(async () => receiver.payloads.some((payload) => payload.userId === later.userId));
      expect(receiver.payloads.filter((payload) => payload.id === event.id)).toHaveLength(2);
      expect(receiver.received).toHaveLength(3);
    });

    it('delivers device_revoked and password_changed with who and why, and nothing for sign-ins, renames or registrations', async () => {
      const before = receiver.received.length;
      const user = await registerAndLogin(api, { name: 'Main phone', platform: 'ios' });
      const tablet = await login(api, user.email, user.password, { name: 'Tablet' });
      const laptop = await login(api, user.email, user.password, { name: 'Laptop <b>', platform: 'web' });
      await api
        .http()
        .patch(`/devices/${laptop.device_id}`)
        .set('Authorization', bearer(user.tokens))
        .send({ name: 'Laptop <b>2' })
        .expect(200);
      await api.http().delete(`/devices/${tablet.device_id}`).set('Authorization', bearer(user.tokens)).expect(204);
      await api
        .http()
        .post('/auth/password')
        .set('Authorization', bearer(user.tokens))
        .send({ currentPassword: user.password, newPassword: 'another correct horse' })
        .expect(204);

      // Every queued delivery done: whatever was going to be sent has been.
      const outbox = api.dataSource.getRepository(WebhookDeliveryEntity);
      await waitFor(async () => receiver.received.length >= before + 3 && (await outbox.countBy({ deliveredAt: IsNull() })) === 0, {
        timeoutMs: 15_000,
      });
      const received = receiver.received.slice(before);
      expect(received.every((request) => request.signatureValid)).toBe(true);
      const payloads = received.map((request) => JSON.parse(request.body) as Record<string, unknown>);
      expect(payloads).toHaveLength(3);
      expect(payloads).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            type: 'device_revoked',
            deviceId: tablet.device_id,
            deviceName: 'Tablet',
            reason: 'revoked',
            actor: 'user',
          }),
          expect.objectContaining({
            type: 'device_revoked',
            deviceId: laptop.device_id,
            deviceName: 'Laptop <b>2',
            reason: 'password_changed',
            actor: 'user',
          }),
          expect.objectContaining({ type: 'password_changed', deviceId: null, deviceName: null, reason: null, actor: 'user' }),
        ]),
      );
      for (const payload of payloads) {
        expect(Object.keys(payload).sort()).toEqual(['actor', 'deviceId', 'deviceName', 'id', 'occurredAt', 'reason', 'type', 'userId']);
        expect(payload).toMatchObject({ userId: user.userId, occurredAt: expect.stringMatching(ISO) });
      }
      expect(new Set(payloads.map((payload) => payload.id)).size).toBe(3);
    });
  });

  describe('to receivers that are dead', () => {
    it('answers refreshes and reuse detection while deliveries hang on a receiver that does not answer', async () => {
      const receiver = await new WebhookReceiver(SECRET, () => 'hang').start();
      const api = await startTestApi(webhookEnv(receiver.url));
      try {
        const user = await registerAndLogin(api);
        // A backlog of 24 revocations, whose deliveries the receiver holds open.
        const many = await registerAndLogin(api);
        for (let device = 0; device < 24; device++) await login(api, many.email, many.password, { name: `Phone ${device}` });
        await api.http().post('/devices/revoke-others').set('Authorization', bearer(many.tokens)).expect(200);
        await waitFor(async () => receiver.received.length >= 10);
        const outbox = api.dataSource.getRepository(WebhookDeliveryEntity);
        const held = await outbox.findBy({ deliveredAt: IsNull(), lastError: IsNull(), attempts: 1 });
        expect(held.length).toBeGreaterThanOrEqual(10);

        await refreshes(api, user.tokens.refresh_token, 15);
        // A refresh that itself queues an event (reuse detection) answers too.
        const victim = await registerAndLogin(api);
        await refresh(api, victim.tokens.refresh_token).expect(200);
        await refresh(api, victim.tokens.refresh_token).expect(400);

        // The refreshes were answered while those deliveries were still unanswered: none of them
        // has failed yet (a request that awaited one would have outlasted its 5 s timeout, and the
        // attempt would have been recorded as failed).
        const stillHeld = await outbox.findBy({ deliveredAt: IsNull(), lastError: IsNull(), attempts: 1 });
        expect(stillHeld.map((row) => row.id)).toEqual(expect.arrayContaining(held.map((row) => row.id)));
        const reuse = await api.dataSource
          .getRepository(SecurityEventEntity)
          .findOneByOrFail({ userId: victim.userId, type: 'refresh_token_reused' });
        expect(await outbox.findOneBy({ id: reuse.id })).toMatchObject({ deliveredAt: null });
      } finally {
        await api.close();
        await receiver.close();
      }
    });

    it('keeps retrying a receiver that refuses connections with growing waits, and refreshes still answer', async () => {
      const api = await startTestApi(webhookEnv(await refusingUrl()));
      try {
        const user = await registerAndLogin(api);
        await refresh(api, user.tokens.refresh_token).expect(200);
        await refresh(api, user.tokens.refresh_token).expect(400);
        const event = await api.dataSource
          .getRepository(SecurityEventEntity)
          .findOneByOrFail({ userId: user.userId, type: 'refresh_token_reused' });
        const deliveries = api.dataSource.getRepository(WebhookDeliveryEntity);

        // Three failed attempts, the row released between them (not claimed) ...
        const delivery = await waitFor(
          async () => {
            const row = await deliveries.findOneByOrFail({ id: event.id });
            return row.attempts >= 3 && row.claimId === null ? row : undefined;
          },
          { what: 'three failed attempts' },
        );
        expect(delivery.deliveredAt).toBeNull();
        expect(delivery.lastError).toBe('ECONNREFUSED');
        // ... each after a wait that doubled (1 s, 2 s, 4 s …, see security-webhook-retry.spec.ts): the
        // next attempt is due at least 1 + 2 + … + 2^(n-1) s after the event was queued.
        expect(delivery.nextAttemptAt).not.toBeNull();
        expect(delivery.nextAttemptAt! - delivery.createdAt).toBeGreaterThanOrEqual(1000 * (2 ** delivery.attempts - 1));

        for (let round = 0; round < 5; round++) {
          const response = await refresh(api, (await login(api, user.email, user.password)).refresh_token).expect(200);
          expect(response.body.refresh_token).toEqual(expect.any(String));
        }
      } finally {
        await api.close();
      }
    });
  });

  describe('from several processes on one database', () => {
    it('sends each event once, and a claim left by a crashed process is sent by another once its lease runs out', async () => {
      const receiver = await new WebhookReceiver(SECRET).start();
      // Events are recorded by a process without the webhook (the trigger queues them anyway)…
      const quiet = await startTestApi({ REFRESH_REUSE_GRACE: '0' });
      const workers: TestApi[] = [];
      try {
        const user = await registerAndLogin(quiet);
        for (let device = 0; device < 30; device++) await login(quiet, user.email, user.password, { name: `Phone ${device}` });
        await quiet.http().post('/devices/revoke-others').set('Authorization', bearer(user.tokens)).expect(200);
        const events = await quiet.dataSource.getRepository(SecurityEventEntity).findBy({ userId: user.userId, type: 'device_revoked' });
        expect(events).toHaveLength(30);

        // …and a process claims five of them and dies before sending (its lease: 3 s).
        const crashed = await quiet.app.get(WebhookDeliveryRepository).claimDue(5, 3000);
        expect(crashed).toHaveLength(5);
        const claimedAt = Date.now();

        for (let process = 0; process < 2; process++)
          workers.push(await startTestApi({ ...webhookEnv(receiver.url), DATABASE_URL: quiet.databaseUrl }));
        // Every delivery done (a done row is never claimed again), then count what was sent.
        const outbox = quiet.dataSource.getRepository(WebhookDeliveryEntity);
        await waitFor(async () => receiver.received.length >= 30 && (await outbox.countBy({ deliveredAt: IsNull() })) === 0, {
          timeoutMs: 20_000,
        });

        const ids = receiver.payloads.map((payload) => payload.id);
        expect(ids).toHaveLength(30);
        expect(new Set(ids)).toEqual(new Set(events.map((event) => event.id)));
        expect(receiver.received.every((request) => request.signatureValid)).toBe(true);
        const late = receiver.received.filter((request) => crashed.some((claim) => request.body.includes(claim.id)));
        expect(late).toHaveLength(5);
        for (const request of late) expect(request.at - claimedAt).toBeGreaterThanOrEqual(2500);
        const rows = await quiet.dataSource.getRepository(WebhookDeliveryEntity).find();
        expect(rows.filter((row) => row.deliveredAt !== null)).toHaveLength(30);
      } finally {
        for (const worker of workers) await worker.close();
        await quiet.close();
        await receiver.close();
      }
    });
  });
});
