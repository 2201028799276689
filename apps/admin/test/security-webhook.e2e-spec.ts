import { jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuthService } from '@app/auth';
import { UserRepository } from '@app/persistence';
import { waitFor } from '../../../test/support/wait-for.js';
import { WebhookReceiver } from '../../../test/support/webhook-receiver.js';
import { DashboardClient } from './support/dashboard-client.js';
import { startTestDashboard, type TestDashboard } from './support/test-dashboard.js';

const PASSWORD = 'correct horse battery';
const SECRET = 'a-webhook-secret-shared-with-the-receiver';

jest.setTimeout(60_000);

/** Polls (every 50 ms) until `check` holds, within a generous deadline: see test/support/wait-for.ts. */
async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(check, { timeoutMs, intervalMs: 50, what });
}

/** The dashboard process sends the security webhook too: here, for a device an operator revoked. */
describe('security webhook from the dashboard (e2e)', () => {
  let receiver: WebhookReceiver;
  let dashboard: TestDashboard;
  let app: NestFastifyApplication;
  /** What the receiver answers. */
  let status = 200;

  beforeAll(async () => {
    receiver = await new WebhookReceiver(SECRET, () => status).start();
    dashboard = await startTestDashboard({
      LOGIN_RATE_LIMIT: '1000/15m',
      SECURITY_WEBHOOK_URL: receiver.url,
      SECURITY_WEBHOOK_SECRET: SECRET,
    });
    app = dashboard.app;
  });

  afterAll(async () => {
    await dashboard.close();
    await receiver.close();
  });

  it("tells the receiver that an operator revoked the user's device, signed", async () => {
    const auth = app.get(AuthService);
    const origin = { ip: null, userAgent: null };
    const { id: operatorId } = await auth.register({ email: 'operator@example.com', password: PASSWORD }, origin);
    await app.get(UserRepository).setRole(operatorId, 'operator');
    const { id: userId } = await auth.register({ email: 'user@example.com', password: PASSWORD }, origin);
    const phone = await auth.login({ email: 'user@example.com', password: PASSWORD }, { name: 'Pixel 8', platform: 'android' }, origin);

    const operator = new DashboardClient(app);
    await operator.signIn('operator@example.com', PASSWORD);
    await operator.get(`/admin/users/${userId}/devices/${phone.device_id}/revoke`);
    expect((await operator.post(`/admin/users/${userId}/devices/${phone.device_id}/revoke`)).status).toBe(303);

    await waitUntil(async () => receiver.received.length > 0, 'the first delivery');
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0].signatureValid).toBe(true);
    expect(receiver.payloads[0]).toMatchObject({
      type: 'device_revoked',
      userId,
      deviceId: phone.device_id,
      deviceName: 'Pixel 8',
      reason: 'operator',
      actor: 'operator',
    });

    // The overview tells operators how the webhook stands.
    const count = async (name: string) =>
      Number((await operator.get('/admin')).text.match(new RegExp(`class="webhook-${name}">(\\d+)<`))?.[1]);
    await waitUntil(async () => (await count('pending')) === 0, 'no delivery pending');
    expect([await count('failing'), await count('given-up')]).toEqual([0, 0]);
    status = 500;
    const tablet = await auth.login({ email: 'user@example.com', password: PASSWORD }, { name: 'Tablet' }, origin);
    await operator.get(`/admin/users/${userId}/devices/${tablet.device_id}/revoke`);
    expect((await operator.post(`/admin/users/${userId}/devices/${tablet.device_id}/revoke`)).status).toBe(303);
    await waitUntil(async () => (await count('failing')) === 1, 'one failing delivery');
    expect(await count('pending')).toBe(1);
    status = 200;
    // The retry comes 1–2.4 s after a failure (doubling, with jitter): well inside the deadline.
    await waitUntil(async () => (await count('pending')) === 0, 'the failed delivery retried');
    expect(receiver.payloads.filter((payload) => payload.deviceId === tablet.device_id).length).toBeGreaterThanOrEqual(2);
  });
});
