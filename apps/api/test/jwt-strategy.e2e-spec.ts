import { JwtStrategy, type AccessPrincipal } from '@app/auth';
import { bearer, registerAndLogin, startTestApi, type TestApi } from './support/test-api.js';

type Outcome = { ok: true; principal: AccessPrincipal } | { ok: false };

/** Runs the passport strategy the way AuthGuard('jwt') does, for one Authorization header. */
function authenticate(strategy: JwtStrategy, authorization: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const hooks = strategy as unknown as Record<string, unknown>;
    hooks.success = (principal: AccessPrincipal) => resolve({ ok: true, principal });
    hooks.fail = () => resolve({ ok: false });
    hooks.error = () => resolve({ ok: false });
    (strategy as unknown as { authenticate(request: object): void }).authenticate({ headers: { authorization } });
  });
}

/** The 'jwt' passport strategy, for routes that opt into AuthGuard('jwt'), checks what the global guard checks. */
describe('JwtStrategy (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });

  afterAll(async () => {
    await api.close();
  });

  it('accepts a valid access token and refuses a revoked device, a refresh token and a tampered one', async () => {
    const strategy = api.app.get(JwtStrategy);
    const { userId, tokens } = await registerAndLogin(api);
    expect(await authenticate(strategy, bearer(tokens))).toEqual({
      ok: true,
      principal: { userId, deviceId: tokens.device_id, expiresAt: expect.any(Number) },
    });
    expect(await authenticate(strategy, `Bearer ${tokens.refresh_token}`)).toEqual({ ok: false });
    expect(await authenticate(strategy, `${bearer(tokens)}x`)).toEqual({ ok: false });

    await api.http().post('/auth/logout').set('Authorization', bearer(tokens)).expect(204);
    expect(await authenticate(strategy, bearer(tokens))).toEqual({ ok: false });
  });
});
