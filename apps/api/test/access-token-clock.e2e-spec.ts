import { bearer, registerAndLogin, startTestApi, type TestApi } from './support/test-api.js';

/** The guard judges `exp` by the injectable clock, so a test can expire a token without waiting. */
describe('access tokens and the injectable clock (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ ACCESS_TOKEN_TTL: '15m' });
  });

  afterAll(async () => {
    await api.close();
  });

  it('accepts a token until its exp (plus the 5 s tolerance) and answers "expired" after', async () => {
    const { tokens } = await registerAndLogin(api);
    api.clock.advance(15 * 60_000);
    await api.http().get('/me').set('authorization', bearer(tokens)).expect(200);
    api.clock.advance(6_000);
    const expired = await api.http().get('/me').set('authorization', bearer(tokens)).expect(401);
    expect(expired.headers['www-authenticate']).toBe('Bearer error="invalid_token", error_description="The access token expired."');
  });

  it('refuses a token issued in the future of the clock by more than the tolerance', async () => {
    const { tokens } = await registerAndLogin(api);
    api.clock.advance(-60_000);
    try {
      await api.http().get('/me').set('authorization', bearer(tokens)).expect(401);
    } finally {
      api.clock.advance(60_000);
    }
  });

  // The guard verifies each token string once per process and then serves it from memory
  // (VerifiedTokenCache): expiry, the future-iat rule and revocation must still be judged on
  // every request, for a token that was accepted (and cached) a moment before.
  describe('a token already accepted (served from the verified-token cache)', () => {
    it('is refused as expired once the clock passes its exp, with no new signature check to catch it', async () => {
      const { tokens } = await registerAndLogin(api);
      await api.http().get('/me').set('authorization', bearer(tokens)).expect(200);
      api.clock.advance(15 * 60_000 + 6_000);
      const expired = await api.http().get('/me').set('authorization', bearer(tokens)).expect(401);
      expect(expired.headers['www-authenticate']).toContain('expired');
    });

    it('is refused once its device is revoked', async () => {
      const { tokens } = await registerAndLogin(api);
      const other = await registerAndLogin(api);
      await api.http().get('/me').set('authorization', bearer(tokens)).expect(200);
      await api.http().delete(`/devices/${tokens.device_id}`).set('authorization', bearer(tokens)).expect(204);
      await api.http().get('/me').set('authorization', bearer(tokens)).expect(401);
      await api.http().get('/me').set('authorization', bearer(other.tokens)).expect(200);
    });

    it('is refused when the clock goes back past its iat (issued in the future)', async () => {
      const { tokens } = await registerAndLogin(api);
      await api.http().get('/me').set('authorization', bearer(tokens)).expect(200);
      api.clock.advance(-60_000);
      try {
        await api.http().get('/me').set('authorization', bearer(tokens)).expect(401);
      } finally {
        api.clock.advance(60_000);
      }
    });
  });
});
