import { bearer, login, refresh, registerAndLogin, startTestApi, type TestApi } from './support/test-api.js';

const DAY_MS = 24 * 3600_000;

/** API.md § Errors: an invalid_grant says why the session ended, so a client can tell its user. */
describe('invalid_grant reasons (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });

  afterAll(async () => {
    await api.close();
  });

  afterEach(() => {
    api.clock.advance(-(api.clock.now() - Date.now()));
  });

  const refused = async (refreshToken: string) => {
    const response = await refresh(api, refreshToken).expect(400);
    expect(response.body.error).toBe('invalid_grant');
    return response.body.reason as string;
  };

  it('says invalid for a token the server does not know, and nothing more', async () => {
    expect(await refused('A'.repeat(43))).toBe('invalid');
    expect(await refused('not a token')).toBe('invalid');
  });

  it('says revoked after a logout, and after a revocation from another device', async () => {
    const { email, password, tokens } = await registerAndLogin(api);
    await api.http().post('/auth/logout').set('authorization', bearer(tokens)).expect(204);
    expect(await refused(tokens.refresh_token)).toBe('revoked');
    const other = await login(api, email, password);
    const current = await login(api, email, password);
    await api.http().delete(`/devices/${other.device_id}`).set('authorization', bearer(current)).expect(204);
    expect(await refused(other.refresh_token)).toBe('revoked');
  });

  it('says password_changed to the other devices after a password change', async () => {
    const { email, password, tokens } = await registerAndLogin(api);
    const other = await login(api, email, password);
    await api
      .http()
      .post('/auth/password')
      .set('authorization', bearer(tokens))
      .send({ currentPassword: password, newPassword: 'a new password 1' })
      .expect(204);
    expect(await refused(other.refresh_token)).toBe('password_changed');
  });

  it('says reused when a spent token came back after the grace period, and to the device afterwards', async () => {
    const { tokens } = await registerAndLogin(api);
    const rotated = (await refresh(api, tokens.refresh_token).expect(200)).body;
    api.clock.advance(11_000);
    expect(await refused(tokens.refresh_token)).toBe('reused');
    expect(await refused(rotated.refresh_token)).toBe('reused');
  });

  it('says expired after the idle lifetime, and session_expired after the absolute one', async () => {
    const idle = await registerAndLogin(api);
    const old = await registerAndLogin(api);
    api.clock.advance(31 * DAY_MS);
    expect(await refused(idle.tokens.refresh_token)).toBe('expired');
    api.clock.advance(60 * DAY_MS);
    expect(await refused(old.tokens.refresh_token)).toBe('session_expired');
  });
});
