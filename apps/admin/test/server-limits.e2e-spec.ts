import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { AuthService } from '@app/auth';
import { DeviceEntity } from '@app/persistence';
import { DataSource } from 'typeorm';
import { waitFor } from '../../../test/support/wait-for.js';
import { DashboardClient } from './support/dashboard-client.js';
import { startTestDashboard, type TestDashboard } from './support/test-dashboard.js';

/** The dashboard shares the API's server settings: TRUST_PROXY and REQUEST_TIMEOUT. */
describe('dashboard behind a proxy, and slow clients (e2e)', () => {
  let dashboard: TestDashboard;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    dashboard = await startTestDashboard({ TRUST_PROXY: '127.0.0.1', REQUEST_TIMEOUT: '2s' });
    app = dashboard.app;
    await app.listen(0, '127.0.0.1');
  });

  afterAll(() => dashboard?.close());

  it("records the address the trusted proxy forwarded on the browser's device", async () => {
    const email = `proxied-${Date.now()}@example.com`;
    await app.get(AuthService).register({ email, password: 'correct horse battery' }, { ip: null, userAgent: null });
    const browser = new DashboardClient(app);
    browser.headers = { 'X-Forwarded-For': '198.51.100.7, 203.0.113.20' };
    await browser.signIn(email, 'correct horse battery');
    const devices = await app.get(DataSource).getRepository(DeviceEntity).find();
    expect(devices.map((device) => device.ip)).toEqual(['203.0.113.20']);
  });

  it('answers 408 and closes a sign-in whose body trickles in a byte at a time', async () => {
    const { port } = app.getHttpServer().address() as AddressInfo;
    const started = Date.now();
    let text = '';
    let closedAfterMs: number | undefined;
    const socket = connect(port, '127.0.0.1', () =>
      socket.write('POST /signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\ne'),
    );
    // The body would be complete after 500 × 300 ms: only the server's timeout can end this.
    const drip = setInterval(() => socket.writable && socket.write('x'), 300);
    socket.on('data', (chunk) => (text += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    socket.on('close', () => (closedAfterMs = Date.now() - started));
    try {
      // A generous deadline, not a latency bound: the server closes it (REQUEST_TIMEOUT, 2 s).
      await waitFor(() => closedAfterMs !== undefined, { timeoutMs: 20_000, what: 'the server closing the trickling connection' });
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
    expect(text).toMatch(/^HTTP\/1\.1 408/);
    // Not before the timeout: the client was still sending.
    expect(closedAfterMs).toBeGreaterThanOrEqual(1500);
  });
});
