import { createHmac, createPublicKey, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { bearer, decodeJwt, registerAndLogin, startTestApi, type TestApi } from './support/test-api.js';

/** With JWT_PRIVATE_KEY (EC P-256), access tokens are ES256 and the JWK set publishes the key. */
describe('ES256 access tokens (e2e)', () => {
  let api: TestApi;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // One line, as in an env file: the config accepts "\n" escapes.
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString().replace(/\n/g, '\\n');

  beforeAll(async () => {
    api = await startTestApi({ JWT_PRIVATE_KEY: pem });
  });

  afterAll(async () => {
    await api.close();
  });

  it('signs ES256 tokens that /me accepts and that the published JWK verifies', async () => {
    const { userId, tokens } = await registerAndLogin(api);
    const { header } = decodeJwt(tokens.access_token);
    expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: api.config.signingKeys.static!.id });
    await api.http().get('/me').set('Authorization', bearer(tokens)).expect(200);

    const jwks = await api.http().get('/.well-known/jwks.json').expect(200);
    expect(jwks.body.keys).toEqual([
      { kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: header.kid, alg: 'ES256', use: 'sig' },
    ]);
    expect(JSON.stringify(jwks.body)).not.toMatch(/"d"/);
    // Another service verifies with the published key alone.
    const publicKey = createPublicKey({ key: jwks.body.keys[0], format: 'jwk' });
    const verified = jwt.verify(tokens.access_token, publicKey, {
      algorithms: ['ES256'],
      issuer: api.config.jwt.issuer,
      audience: api.config.jwt.audience,
    });
    expect(verified).toMatchObject({ sub: userId, sid: tokens.device_id });
  });

  it('refuses an HS256 token, even one keyed with the public key (algorithm confusion)', async () => {
    const { tokens } = await registerAndLogin(api);
    const { payload } = decodeJwt(tokens.access_token);
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${encode({ alg: 'HS256', typ: 'at+jwt', kid: api.config.signingKeys.static!.id })}.${encode(payload)}`;
    const publicPem = api.config.signingKeys.static!.verificationKey.export({ format: 'pem', type: 'spki' }).toString();
    const forged = `${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`;
    const response = await api.http().get('/me').set('Authorization', `Bearer ${forged}`).expect(401);
    expect(response.body.detail).toBe('The access token is invalid.');
  });
});
