import { jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { AuthService } from '@app/auth';
import { UserEntity } from '@app/persistence';
import { SESSION_REVOKED } from '@app/ssf';
import { startAppProcess, type ApiProcess } from '../../../test/support/app-process.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/scratch-database.js';
import { addReceiver, es256Pem, SsfTestReceiver, type ReceivedSet, type StreamConfig } from '../../../test/support/ssf-receiver.js';
import { waitFor } from '../../../test/support/wait-for.js';
import { createAdminApp } from '../src/create-admin-app.js';
import { DashboardClient } from './support/dashboard-client.js';

jest.setTimeout(120_000);

const PASSWORD = 'correct horse battery';
const sessionOf = (set: ReceivedSet) => (set.claims.sub_id as { session?: { id: string } }).session?.id;

/**
 * API.md § Shared Signals: revocations made in the dashboard (by the account holder, and by an
 * operator) reach a receiver of the API's transmitter (the built API process, on the same
 * database) as one session-revoked SET each, verified with `jose` against its `jwks_uri`.
 */
describe('Shared Signals from the dashboard (e2e)', () => {
  const pem = es256Pem();
  let database: ScratchDatabase;
  let api: ApiProcess;
  let admin: NestFastifyApplication;
  let receiver: SsfTestReceiver;
  let stream: StreamConfig;

  beforeAll(async () => {
    database = await scratchDatabase();
    const env = { DATABASE_URL: database.url, JWT_PRIVATE_KEY: pem, LOGIN_RATE_LIMIT: '1000/15m' };
    api = await startAppProcess('api', env);
    admin = await createAdminApp({ env: { ...env, MIGRATIONS_RUN: 'false' }, logger: false });
    receiver = await new SsfTestReceiver(
      api.url,
      await addReceiver(admin.get(DataSource), 'siem', 'https://siem.example'),
      'https://siem.example',
    ).listen();
    await receiver.discover();
    stream = await receiver.createStream('push', [SESSION_REVOKED]);
  });

  afterAll(async () => {
    await admin?.close();
    await api?.stop();
    await receiver?.close();
    await database?.remove();
  });

  async function register(email: string): Promise<string> {
    return (await admin.get(AuthService).register({ email, password: PASSWORD }, { ip: null, userAgent: null })).id;
  }
  const signIn = (email: string, name: string) =>
    admin.get(AuthService).login({ email, password: PASSWORD }, { name, platform: 'android' }, { ip: null, userAgent: null });

  it('sends one SET for a revocation by the account holder and one by an operator, saying who did it', async () => {
    const userId = await register('holder@example.com');
    const own = await signIn('holder@example.com', 'Revoked by the holder');
    const byOperator = await signIn('holder@example.com', 'Revoked by an operator');
    const holder = new DashboardClient(admin);
    await holder.signIn('holder@example.com', PASSWORD);
    expect((await holder.post(`/devices/${own.device_id}/revoke`)).status).toBe(303);

    const operatorId = await register('operator@example.com');
    await admin.get(DataSource).getRepository(UserEntity).update({ id: operatorId }, { role: 'operator' });
    const operator = new DashboardClient(admin);
    await operator.signIn('operator@example.com', PASSWORD);
    const page = `/admin/users/${userId}/devices/${byOperator.device_id}/revoke`;
    expect((await operator.get(page)).status).toBe(200);
    expect((await operator.post(page)).status).toBe(303);

    const ids = [own.device_id, byOperator.device_id];
    await waitFor(() => ids.every((id) => receiver.pushed.some((set) => sessionOf(set) === id)), { timeoutMs: 20_000 });
    const sets = receiver.pushed.filter((set) => ids.includes(sessionOf(set)!));
    expect(sets).toHaveLength(2);
    const byDevice = Object.fromEntries(sets.map((set) => [sessionOf(set), set.claims]));
    expect(byDevice[own.device_id]).toMatchObject({
      aud: 'https://siem.example',
      sub_id: { format: 'complex', user: { format: 'opaque', id: userId }, session: { format: 'opaque', id: own.device_id } },
      events: { [SESSION_REVOKED]: { initiating_entity: 'user' } },
    });
    expect(byDevice[byOperator.device_id]).toMatchObject({
      sub_id: { user: { id: userId }, session: { id: byOperator.device_id } },
      events: { [SESSION_REVOKED]: { initiating_entity: 'admin', reason_admin: { en: 'An operator revoked this device.' } } },
    });
    expect(JSON.stringify(sets.map((set) => set.claims))).not.toMatch(/holder@|operator@/);
    expect(stream.aud).toBe('https://siem.example');
    expect(receiver.refused).toEqual([]);
  });
});
