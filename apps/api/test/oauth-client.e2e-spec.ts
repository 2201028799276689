import * as oauth from 'oauth4webapi';
import { generateProof } from 'dpop';
import { freePort } from '../../../bench/support/server-process.js';
import { startApiProcess, type ApiProcess } from '../../../test/support/app-process.js';
import { scratchDatabase, TEST_JWT_SECRET, type ScratchDatabase } from './support/test-api.js';

/**
 * The API as a real OAuth client library sees it (oauth4webapi, panva's, which checks every
 * response strictly): RFC 8414 discovery, the refresh_token grant with and without DPoP (and its
 * nonce dance), a DPoP-protected resource request, and RFC 7009 revocation. Plain http on
 * loopback, so the library's insecure-request guard is lifted for the test.
 */
describe('a real OAuth client (oauth4webapi) against the API (e2e)', () => {
  const insecure = { [oauth.allowInsecureRequests]: true } as const;
  const client: oauth.Client = { client_id: 'mobile-app', token_endpoint_auth_method: 'none' };
  const PASSWORD = 'correct horse battery';
  let database: ScratchDatabase;
  let api: ApiProcess;
  let issuer: URL;
  let as: oauth.AuthorizationServer;
  let counter = 0;

  beforeAll(async () => {
    database = await scratchDatabase();
    const port = await freePort();
    issuer = new URL(`http://127.0.0.1:${port}`);
    // DPOP_NONCE: the library must follow the server's use_dpop_nonce answers, as RFC 9449 §8 says.
    api = await startApiProcess(
      { DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET, PUBLIC_URL: issuer.origin, DPOP_NONCE: 'true' },
      { port },
    );
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
    await database?.remove();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${issuer.origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  /** Signs a device in through the API's own login (not an OAuth grant), bound to `keys` if given. */
  async function signIn(
    keys?: Awaited<ReturnType<typeof oauth.generateKeyPair>>,
  ): Promise<{ refresh_token: string; access_token: string; device_id: string }> {
    const email = `oauth-${++counter}-${Date.now()}@example.com`;
    expect((await post('/auth/register', { email, password: PASSWORD })).status).toBe(201);
    const body = { email, password: PASSWORD, device: { name: 'OAuth client' } };
    let response = await post('/auth/login', body, keys ? { dpop: await generateProof(keys, `${issuer.origin}/auth/login`, 'POST') } : {});
    if (keys && response.status === 400) {
      // With DPOP_NONCE the first proof has no nonce: take the one the server sent, once.
      const nonce = response.headers.get('dpop-nonce')!;
      response = await post('/auth/login', body, { dpop: await generateProof(keys, `${issuer.origin}/auth/login`, 'POST', nonce) });
    }
    expect(response.status).toBe(200);
    return (await response.json()) as { refresh_token: string; access_token: string; device_id: string };
  }

  it('discovers the server: issuer, endpoints and DPoP algorithms from RFC 8414 metadata', () => {
    expect(as.issuer).toBe(issuer.href.replace(/\/$/, ''));
    expect(as.token_endpoint).toBe(`${issuer.origin}/auth/refresh`);
    expect(as.revocation_endpoint).toBe(`${issuer.origin}/auth/revoke`);
    expect(as.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256']));
  });

  it('refreshes a bearer device with the refresh_token grant; the response passes the library’s checks', async () => {
    const tokens = await signIn();
    const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token, insecure);
    const result = await oauth.processRefreshTokenResponse(as, client, response);
    expect(result.token_type).toBe('bearer');
    expect(result.refresh_token).not.toBe(tokens.refresh_token);
    const me = await fetch(`${issuer.origin}/me`, { headers: { authorization: `Bearer ${result.access_token}` } });
    expect(me.status).toBe(200);
  });

  it('refreshes a DPoP-bound device through the library’s DPoP handle, following use_dpop_nonce, and calls a resource with it', async () => {
    const keys = await oauth.generateKeyPair('ES256');
    const tokens = await signIn(keys);
    const dpop = oauth.DPoP(client, keys);
    const refresh = () => oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token, { DPoP: dpop, ...insecure });
    // The first proof has no nonce: use_dpop_nonce, which spends nothing. The handle keeps the
    // DPoP-Nonce of that answer, and the retry succeeds.
    const refused = await oauth.processRefreshTokenResponse(as, client, await refresh()).catch((error: unknown) => error);
    expect(oauth.isDPoPNonceError(refused)).toBe(true);
    const result = await oauth.processRefreshTokenResponse(as, client, await refresh());
    expect(result.token_type).toBe('dpop');

    const me = await oauth.protectedResourceRequest(result.access_token, 'GET', new URL('/me', issuer), undefined, undefined, {
      DPoP: dpop,
      ...insecure,
    });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { deviceId: string }).deviceId).toBe(tokens.device_id);

    // The refresh token alone, without the key (a client with no DPoP handle), gets nothing.
    const stolen = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), result.refresh_token!, insecure);
    await expect(oauth.processRefreshTokenResponse(as, client, stolen)).rejects.toMatchObject({ error: 'invalid_dpop_proof' });
  });

  it('revokes a bearer device’s refresh token with RFC 7009, after which the grant is refused with reason revoked', async () => {
    const tokens = await signIn();
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, oauth.None(), tokens.refresh_token, insecure));
    const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token, insecure);
    await expect(oauth.processRefreshTokenResponse(as, client, response)).rejects.toMatchObject({
      error: 'invalid_grant',
      cause: expect.objectContaining({ reason: 'revoked' }),
    });
  });

  it('answers an unknown refresh token with invalid_grant, reason invalid, in the RFC 6749 shape the library parses', async () => {
    const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), 'x'.repeat(43), insecure);
    await expect(oauth.processRefreshTokenResponse(as, client, response)).rejects.toMatchObject({
      error: 'invalid_grant',
      cause: expect.objectContaining({ reason: 'invalid' }),
    });
  });
});
