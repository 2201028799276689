import { jest } from '@jest/globals';
import { bearer, registerAndLogin, startTestApi, type TestApi } from './support/test-api.js';

describe('guarded request path (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    // Background work (revocation sync, last-seen flush) is pushed out of the measured window.
    api = await startTestApi({ REVOCATION_SYNC_INTERVAL: '1h', LAST_SEEN_FLUSH_INTERVAL: '1h' });
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
});
