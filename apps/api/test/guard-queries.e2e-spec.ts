import { jest } from '@jest/globals';
import { generateKeyPair, generateProof } from 'dpop';
import { LastSeenRecorder } from '@app/auth';
import { MailSender } from '@app/mail';
import { DeviceEntity } from '@app/persistence';
import { bearer, registerAndLogin, startTestApi, type TestApi } from './support/test-api.js';

describe('guarded request path (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    // Background work (revocation sync, last-seen flush) is pushed out of the measured window.
    api = await startTestApi({ REVOCATION_SYNC_INTERVAL: '1h', LAST_SEEN_FLUSH_INTERVAL: '1h', PUBLIC_URL: 'https://auth.example.test' });
    // So is the mail sender, which looks at its outbox every second (the registrations' mails
    // wait there; that mail never sits on a request's path is mail-delivery.e2e-spec's to show).
    await api.app.get(MailSender).beforeApplicationShutdown();
  });

  afterAll(async () => {
    await api.close();
  });

  it('makes no database query for guarded requests, with revocations in place', async () => {
    const caller = await registerAndLogin(api);
    const revoked = await registerAndLogin(api);
    await api.http().post('/auth/logout').set('Authorization', bearer(revoked.tokens)).expect(204);

    const logQuery = jest.spyOn(api.dataSource.logger, 'logQuery');
    try {
      for (let i = 0; i < 25; i++) {
        await api.http().get('/me').set('Authorization', bearer(caller.tokens)).expect(200);
        await api.http().get('/me').set('Authorization', bearer(revoked.tokens)).expect(401);
      }
      expect(logQuery).not.toHaveBeenCalled();
      // The counter does count: a database-backed endpoint shows up.
      await api.http().get('/devices').set('Authorization', bearer(caller.tokens)).expect(200);
      expect(logQuery).toHaveBeenCalled();
    } finally {
      logQuery.mockRestore();
    }
  });

  it('makes no database query for DPoP-bound requests either (the proof is checked from memory)', async () => {
    const email = `guard-dpop-${Date.now()}@example.com`;
    await api.http().post('/auth/register').send({ email, password: 'correct horse battery' }).expect(201);
    const keys = await generateKeyPair('ES256');
    const origin = 'https://auth.example.test';
    const login = await api
      .http()
      .post('/auth/login')
      .set('DPoP', await generateProof(keys, `${origin}/auth/login`, 'POST'))
      .send({ email, password: 'correct horse battery', device: { name: 'Bound' } })
      .expect(200);
    const token: string = login.body.access_token;
    const logQuery = jest.spyOn(api.dataSource.logger, 'logQuery');
    try {
      for (let i = 0; i < 10; i++) {
        const proof = await generateProof(keys, `${origin}/me`, 'GET', undefined, token);
        await api
          .http()
          .get('/me')
          .set({ authorization: `DPoP ${token}`, dpop: proof })
          .expect(200);
      }
      expect(logQuery).not.toHaveBeenCalled();
    } finally {
      logQuery.mockRestore();
    }
  });

  it('records last activity from guarded requests in memory and writes it in one batch later', async () => {
    const { tokens } = await registerAndLogin(api);
    const devices = api.dataSource.getRepository(DeviceEntity);
    const before = (await devices.findOneByOrFail({ id: tokens.device_id })).lastSeenAt;

    api.clock.advance(5 * 60_000);
    try {
      await api.http().get('/me').set('Authorization', bearer(tokens)).expect(200);
      expect((await devices.findOneByOrFail({ id: tokens.device_id })).lastSeenAt).toBe(before);
      await api.app.get(LastSeenRecorder).flush();
      const after = (await devices.findOneByOrFail({ id: tokens.device_id })).lastSeenAt;
      expect(after - before).toBeGreaterThanOrEqual(5 * 60_000);
    } finally {
      api.clock.advance(-5 * 60_000);
    }
  });
});
