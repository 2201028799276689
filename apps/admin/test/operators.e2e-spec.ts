import { jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DataSource } from 'typeorm';
import { AuthService } from '@app/auth';
import { DeviceEntity, SecurityEventEntity, UserEntity, type SecurityEventType } from '@app/persistence';
import { TEST_JWT_SECRET } from '../../../test/support/scratch-database.js';
import { DashboardClient, routesOf } from './support/dashboard-client.js';
import { runOperatorCommand } from './support/operator-command.js';
import { startTestDashboard, type TestDashboard } from './support/test-dashboard.js';

const PASSWORD = 'correct horse battery';

jest.setTimeout(60_000);

/**
 * The operator role: stored on the account, changed only by `npm run operator` (the built
 * script, run as a child process on this suite's database), and every operator route refuses
 * everyone else with 404.
 */
describe('operators (e2e)', () => {
  let dashboard: TestDashboard;
  let app: NestFastifyApplication;
  let dataSource: DataSource;

  beforeAll(async () => {
    dashboard = await startTestDashboard({ LOGIN_RATE_LIMIT: '1000/15m' });
    ({ app, dataSource } = dashboard);
  });

  afterAll(() => dashboard?.close());

  const operatorCommand = (...args: string[]) =>
    runOperatorCommand({ DATABASE_URL: dashboard.databaseUrl, JWT_SECRET: TEST_JWT_SECRET }, ...args);

  async function register(email: string): Promise<string> {
    const { id } = await app.get(AuthService).register({ email, password: PASSWORD }, { ip: null, userAgent: null });
    return id;
  }

  async function signedIn(email: string): Promise<DashboardClient> {
    const client = new DashboardClient(app);
    await client.signIn(email, PASSWORD);
    return client;
  }

  const roleOf = async (email: string) => (await dataSource.getRepository(UserEntity).findOneByOrFail({ email })).role;
  const eventsOf = async (email: string, type: SecurityEventType) => {
    const user = await dataSource.getRepository(UserEntity).findOneByOrFail({ email });
    return dataSource.getRepository(SecurityEventEntity).findBy({ userId: user.id, type });
  };

  it('does not make an account an operator because of its email address', async () => {
    // What ADMIN_EMAILS allowed: register the address first, become operator.
    for (const email of ['admin@example.com', 'ops@example.com', 'root@example.com']) {
      await register(email);
      expect(await roleOf(email)).toBe('user');
      const client = await signedIn(email);
      const devices = await client.get('/devices');
      expect(devices.status).toBe(200);
      expect(devices.text).not.toContain('href="/admin/users"');
      expect((await client.get('/admin/users')).status).toBe(404);
    }
  });

  it('grants the role with the command (normalised email), effective on the next request of an open session, recorded once', async () => {
    const email = 'grant@example.com';
    await register(email);
    const client = await signedIn(email);
    expect((await client.get('/admin/users')).status).toBe(404);

    const granted = await operatorCommand('grant', '  GRANT@Example.COM ');
    expect(granted).toMatchObject({ code: 0, stderr: '' });
    expect(granted.stdout).toMatch(/^Granted the operator role to grant@example\.com/);
    expect(await roleOf(email)).toBe('operator');
    const events = await eventsOf(email, 'operator_granted');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'system', actorUserId: null, deviceId: null });

    expect((await client.get('/admin/users')).status).toBe(200);
    expect((await client.get('/devices')).text).toContain('href="/admin/users"');
    expect((await client.get('/activity')).text).toContain('Operator role granted (from the command line)');

    const again = await operatorCommand('grant', email);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('grant@example.com is already an operator: nothing changed.');
    expect(await eventsOf(email, 'operator_granted')).toHaveLength(1);
  });

  it('withdraws the role with the command: the open session loses the pages at once, recorded once', async () => {
    const email = 'withdraw@example.com';
    await register(email);
    expect((await operatorCommand('grant', email)).code).toBe(0);
    const client = await signedIn(email);
    expect((await client.get('/admin/users')).status).toBe(200);

    const revoked = await operatorCommand('revoke', email);
    expect(revoked).toMatchObject({ code: 0, stderr: '' });
    expect(revoked.stdout).toMatch(/^Withdrew the operator role from withdraw@example\.com/);
    expect(await roleOf(email)).toBe('user');
    expect(await eventsOf(email, 'operator_revoked')).toEqual([expect.objectContaining({ actor: 'system', actorUserId: null })]);
    expect((await client.get('/admin/users')).status).toBe(404);
    expect((await client.get('/devices')).text).not.toContain('href="/admin/users"');
    expect((await client.get('/activity')).text).toContain('Operator role withdrawn (from the command line)');

    const again = await operatorCommand('revoke', email);
    expect(again).toMatchObject({ code: 0, stdout: 'withdraw@example.com is not an operator: nothing changed.' });
    expect(await eventsOf(email, 'operator_revoked')).toHaveLength(1);
  });

  it('exits non-zero with a message for an unknown email or bad usage, and changes nothing', async () => {
    const before = await dataSource.getRepository(SecurityEventEntity).count();
    const operatorsBefore = await dataSource.getRepository(UserEntity).countBy({ role: 'operator' });
    const unknown = await operatorCommand('grant', 'nobody@example.com');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('No account with the email nobody@example.com: nothing changed. The person must register first.');
    for (const args of [
      [],
      ['grant'],
      ['promote', 'grant@example.com'],
      ['grant', 'a@example.com', 'b@example.com'],
      ['revoke', 'not-an-email'],
      ['grant', 'grant\u200b@example.com'],
    ]) {
      const run = await operatorCommand(...args);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Usage: npm run operator -- grant <email>');
      expect(run.stdout).toBe('');
    }
    expect(await dataSource.getRepository(SecurityEventEntity).count()).toBe(before);
    expect(await dataSource.getRepository(UserEntity).countBy({ role: 'operator' })).toBe(operatorsBefore);
  });

  it('answers 404 on every operator route of the router to a signed-in non-operator, and serves them to an operator', async () => {
    const routes = routesOf(app).filter((route) => route.url === '/admin' || route.url.startsWith('/admin/'));
    expect(routes.map((route) => route.method)).toEqual(expect.arrayContaining(['GET', 'HEAD', 'POST']));
    expect(routesOf(app).length).toBeGreaterThan(routes.length);

    // A real subject, so that a 404 cannot come from a missing user or device.
    const subjectId = await register('subject@example.com');
    const login = await app
      .get(AuthService)
      .login(
        { email: 'subject@example.com', password: PASSWORD },
        { name: 'Subject phone', platform: 'android' },
        { ip: null, userAgent: null },
      );
    const deviceId = login.device_id;
    const urlOf = (pattern: string) => {
      const url = pattern.replace(':userId', subjectId).replace(':id', deviceId);
      if (url.includes(':')) throw new Error(`no test value for a parameter of ${pattern}`);
      return url;
    };

    await register('customer@example.com');
    const customer = await signedIn('customer@example.com');
    const notFound = await customer.get('/no-such-page');
    expect(notFound.status).toBe(404);
    for (const route of routes) {
      const response = await customer.call(route.method, urlOf(route.url));
      expect(`${route.method} ${route.url} ${response.status}`).toBe(`${route.method} ${route.url} 404`);
      if (route.method !== 'HEAD') expect(response.text).toBe(notFound.text);
    }
    const device = await dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: deviceId });
    expect(device.revokedAt).toBeNull();
    expect(await eventsOf('subject@example.com', 'device_revoked')).toHaveLength(0);

    await register('operator@example.com');
    expect((await operatorCommand('grant', 'operator@example.com')).code).toBe(0);
    const operator = await signedIn('operator@example.com');
    for (const route of [...routes].sort((a, b) => Number(a.method === 'POST') - Number(b.method === 'POST'))) {
      // POSTs last (the revoke changes state), each from its confirmation page, as a browser would.
      if (route.method === 'POST') await operator.get(urlOf(route.url));
      const response = await operator.call(route.method, urlOf(route.url));
      expect(`${route.method} ${route.url} ${response.status}`).toBe(`${route.method} ${route.url} ${route.method === 'POST' ? 303 : 200}`);
    }
    expect((await dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: deviceId })).revokedAt).not.toBeNull();
  });
});
