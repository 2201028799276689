import { jest } from '@jest/globals';
import { IsNull } from 'typeorm';
import { SecurityEventEntity, WebhookDeliveryEntity, WebhookDeliveryRepository } from '@app/persistence';
import { bearer, login, refresh, registerAndLogin, startTestApi, waitFor, type TestApi } from './support/test-api.js';
import { refusingUrl, WebhookReceiver } from '../../../test/support/webhook-receiver.js';

jest.setTimeout(90_000);

const SECRET = 'a-webhook-secret-shared-with-the-receiver';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function webhookEnv(url: string) {
  return { SECURITY_WEBHOOK_URL: url, SECURITY_WEBHOOK_SECRET: SECRET, REFRESH_REUSE_GRACE: '0' };
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Milliseconds each of `count` sequential refreshes of one device takes. */
async function timeRefreshes(api: TestApi, refreshToken: string, count: number): Promise<{ samples: number[]; token: string }> {
  const samples: number[] = [];
  let token = refreshToken;
  for (let round = 0; round < count; round++) {
    const started = performance.now();
    const response = await refresh(api, token).expect(200);
    samples.push(performance.now() - started);
    token = response.body.refresh_token as string;
  }
  return { samples, token };
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

      await waitFor(async () => receiver.received.length >= 2, 15_000);
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
      await waitFor(async () => (await deliveries.findOneByOrFail({ id: event.id })).deliveredAt !== null, 5000);
      const delivery = await deliveries.findOneByOrFail({ id: event.id });
      expect(delivery).toMatchObject({ attempts: 2, nextAttemptAt: null, claimedUntil: null, lastError: null });
      expect(delivery.deliveredAt).not.toBeNull();

      // Delivered means done: no third request for it.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(receiver.received).toHaveLength(2);
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

      await waitFor(async () => receiver.received.length >= before + 3, 15_000);
      await new Promise((resolve) => setTimeout(resolve, 1500));
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
    it('never slows a refresh while deliveries hang on a receiver that does not answer', async () => {
      const receiver = await new WebhookReceiver(SECRET, () => 'hang').start();
      const api = await startTestApi(webhookEnv(receiver.url));
      try {
        const user = await registerAndLogin(api);
        await timeRefreshes(api, user.tokens.refresh_token, 5); // warm-up
        const quiet = await timeRefreshes(api, (await login(api, user.email, user.password)).refresh_token, 15);

        // A backlog of 24 revocations, whose deliveries the receiver holds open.
        const many = await registerAndLogin(api);
        for (let device = 0; device < 24; device++) await login(api, many.email, many.password, { name: `Phone ${device}` });
        await api.http().post('/devices/revoke-others').set('Authorization', bearer(many.tokens)).expect(200);
        await waitFor(async () => receiver.received.length >= 10, 10_000);

        const busy = await timeRefreshes(api, quiet.token, 15);
        // A refresh that itself queues an event (reuse detection) answers at once too.
        const victim = await registerAndLogin(api);
        await refresh(api, victim.tokens.refresh_token).expect(200);
        const started = performance.now();
        await refresh(api, victim.tokens.refresh_token).expect(400);
        const reuse = performance.now() - started;

        // Deliveries were really in flight and unanswered while the refreshes were measured.
        expect(receiver.received.length).toBeGreaterThanOrEqual(10);
        expect(await api.dataSource.getRepository(WebhookDeliveryEntity).countBy({ deliveredAt: IsNull() })).toBeGreaterThan(0);
        const [quietMedian, busyMedian] = [median(quiet.samples), median(busy.samples)];
        // Awaiting a delivery would cost its 5 s timeout; the bounds are far below that, far above noise.
        expect(busyMedian).toBeLessThan(quietMedian * 4 + 100);
        expect(Math.max(...busy.samples)).toBeLessThan(1500);
        expect(reuse).toBeLessThan(1500);
      } finally {
        await api.close();
        await receiver.close();
      }
    });

    it('keeps retrying a receiver that refuses connections with growing waits, and refreshes stay fast', async () => {
      const api = await startTestApi(webhookEnv(await refusingUrl()));
      try {
        const user = await registerAndLogin(api);
        await refresh(api, user.tokens.refresh_token).expect(200);
        const started = performance.now();
        await refresh(api, user.tokens.refresh_token).expect(400);
        expect(performance.now() - started).toBeLessThan(1500);
        const event = await api.dataSource
          .getRepository(SecurityEventEntity)
          .findOneByOrFail({ userId: user.userId, type: 'refresh_token_reused' });
        const deliveries = api.dataSource.getRepository(WebhookDeliveryEntity);

        await waitFor(async () => (await deliveries.findOneByOrFail({ id: event.id })).attempts >= 2, 10_000);
        const queued = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 4000));
        const delivery = await deliveries.findOneByOrFail({ id: event.id });
        // Waits of 1 s, 2 s, 4 s (+ up to 20 %), polled each second: at most two more attempts in 4 s, and at least one.
        expect(delivery.attempts).toBeGreaterThanOrEqual(3);
        expect(delivery.attempts).toBeLessThanOrEqual(4);
        expect(delivery.deliveredAt).toBeNull();
        expect(delivery.nextAttemptAt).not.toBeNull();
        expect(delivery.lastError).toBe('ECONNREFUSED');
        expect(performance.now() - queued).toBeGreaterThanOrEqual(4000);

        for (let round = 0; round < 5; round++) {
          const start = performance.now();
          const response = await refresh(api, (await login(api, user.email, user.password)).refresh_token).expect(200);
          expect(response.body.refresh_token).toEqual(expect.any(String));
          expect(performance.now() - start).toBeLessThan(1500);
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
        await waitFor(async () => receiver.received.length >= 30, 20_000);
        await new Promise((resolve) => setTimeout(resolve, 2000));

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
