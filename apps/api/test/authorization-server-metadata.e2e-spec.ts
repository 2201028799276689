import { startTestApi, type TestApi } from './support/test-api.js';

/** RFC 8414 metadata, and the token endpoint's answer to grants it does not support. */
describe('authorization server metadata (e2e)', () => {
  let api: TestApi;

  afterEach(async () => {
    await api.close();
  });

  it("publishes absolute endpoint URLs from PUBLIC_URL, with the tokens' issuer", async () => {
    api = await startTestApi({ PUBLIC_URL: 'https://auth.example.com/' });
    const response = await api.http().get('/.well-known/oauth-authorization-server').expect(200);
    expect(response.body).toEqual({
      issuer: 'https://auth.example.com',
      token_endpoint: 'https://auth.example.com/auth/refresh',
      revocation_endpoint: 'https://auth.example.com/auth/revoke',
      jwks_uri: 'https://auth.example.com/.well-known/jwks.json',
      grant_types_supported: ['refresh_token'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA', 'Ed25519'],
    });
    expect(api.config.jwt.issuer).toBe(response.body.issuer);
  });

  it('builds the URLs from the request when PUBLIC_URL is unset, and keeps JWT_ISSUER as the issuer', async () => {
    api = await startTestApi({ JWT_ISSUER: 'https://issuer.example' });
    const response = await api.http().get('/.well-known/oauth-authorization-server').set('Host', 'api.example:8443').expect(200);
    expect(response.body.issuer).toBe('https://issuer.example');
    expect(response.body.token_endpoint).toBe('http://api.example:8443/auth/refresh');
    expect(response.headers['cache-control']).toBe('no-cache');
  });

  it.each([
    [
      'a form with the password grant and its fields',
      'form',
      'grant_type=password&username=ann%40example.com&password=secret&scope=openid',
    ],
    [
      'JSON with the client-credentials grant and a secret',
      'json',
      JSON.stringify({ grant_type: 'client_credentials', client_secret: 'x' }),
    ],
  ])('answers %s with 400 unsupported_grant_type (RFC 6749 §5.2)', async (_, type, body) => {
    api = await startTestApi();
    const response = await api.http().post('/auth/refresh').type(type).send(body).expect(400);
    expect(response.body.error).toBe('unsupported_grant_type');
    expect(response.headers['cache-control']).toBe('no-store');
  });
});
