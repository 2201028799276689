import { randomBytes } from 'node:crypto';
import type { TokenResponse } from '@app/auth';
import { bearer, decodeJwt, login, registerAndLogin, startTestApi, TEST_JWT_SECRET, type TestApi } from '../support/test-api.js';
import { expectDatabaseUnchanged } from './support/database-state.js';
import {
  assemble,
  attackerKeys,
  nowSeconds,
  signAsymmetric,
  signHmac,
  type AttackerKeys,
  type JwtClaims,
  type JwtHeader,
} from './support/forge.js';
import { expectInvalidToken, expectNoLeak, INVALID_TOKEN_BODY } from './support/wire.js';

/**
 * The forged-token battery: every construction below is refused on GET /me and on every
 * device endpoint with the same 401, and changes nothing. Where it makes sense, the same
 * construction with the real key and claims is accepted, so each case fails for its flaw and
 * not for a mistake in the test.
 */
describe('forged access tokens (e2e)', () => {
  let api: TestApi;
  let keys: AttackerKeys;
  let victim: TokenResponse;
  let otherDeviceId: string;
  let header: JwtHeader;
  let claims: JwtClaims;

  /** HS256 under the configured secret: what only the server can produce. */
  const real = (h: JwtHeader = header, c: JwtClaims = claims) => signHmac(h, c, TEST_JWT_SECRET);

  beforeAll(async () => {
    keys = attackerKeys();
    api = await startTestApi();
    const signedIn = await registerAndLogin(api, { name: 'Victim phone' });
    victim = signedIn.tokens;
    otherDeviceId = (await login(api, signedIn.email, signedIn.password, { name: 'Victim tablet' })).device_id;
    ({ header, payload: claims } = decodeJwt(victim.access_token));
    expect(header).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: api.config.signingKeys.static!.id });
  });

  afterAll(async () => {
    await api.close();
  });

  /** Every guarded endpoint a stolen or forged token could be aimed at. */
  const attempts = (authorization: string) => [
    api.http().get('/me').set('Authorization', authorization),
    api.http().get('/devices').set('Authorization', authorization),
    api.http().patch(`/devices/${otherDeviceId}`).set('Authorization', authorization).send({ name: 'pwned' }),
    api.http().delete(`/devices/${otherDeviceId}`).set('Authorization', authorization),
    api.http().post('/devices/revoke-others').set('Authorization', authorization),
    api.http().post('/auth/logout').set('Authorization', authorization),
    api.http().post('/auth/password').set('Authorization', authorization).send({ currentPassword: 'x', newPassword: 'attacker-password' }),
  ];

  async function expectRefusedEverywhere(token: string): Promise<void> {
    await expectDatabaseUnchanged(api, async () => {
      for (const attempt of attempts(`Bearer ${token}`)) expectInvalidToken(await attempt);
    });
  }

  async function expectAccepted(token: string): Promise<void> {
    const response = await api.http().get('/me').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ userId: claims.sub, deviceId: claims.sid, expiresAt: expect.any(String) });
  }

  const attackerSecret = randomBytes(48).toString('base64url');

  // [behaviour, forged token, the same construction done right (or null where none can pass)]
  const cases: Array<[string, () => string, (() => string) | null]> = [
    ['alg "none" without a signature', () => assemble({ ...header, alg: 'none' }, claims), () => real()],
    ['alg "None" without a signature', () => assemble({ ...header, alg: 'None' }, claims), () => real()],
    ['alg "NONE" without a signature', () => assemble({ ...header, alg: 'NONE' }, claims), () => real()],
    ['alg "nOnE" without a signature', () => assemble({ ...header, alg: 'nOnE' }, claims), () => real()],
    [
      'alg "none" keeping the genuine signature',
      () => assemble({ ...header, alg: 'none' }, claims, victim.access_token.split('.')[2]),
      () => victim.access_token,
    ],
    [
      'alg "none" with the header repeated so that the last "alg" wins',
      () => assemble(`{"alg":"HS256","typ":"at+jwt","kid":"${header.kid}","alg":"none"}`, claims),
      () => real(),
    ],
    ['an empty signature', () => assemble(header, claims), () => real()],
    ['a "null" signature', () => assemble(header, claims, 'null'), () => real()],
    ['an all-zero signature', () => assemble(header, claims, Buffer.alloc(32).toString('base64url')), () => real()],
    ['no signature segment at all', () => real().split('.').slice(0, 2).join('.'), () => real()],
    ['a fourth segment', () => `${real()}.${real().split('.')[2]}`, () => real()],
    [
      'the genuine signature over a changed sub',
      () =>
        `${victim.access_token.split('.')[0]}.${assemble(header, { ...claims, sub: 'someone-else' }).split('.')[1]}.${victim.access_token.split('.')[2]}`,
      () => victim.access_token,
    ],
    [
      'the genuine signature over a changed sid',
      () =>
        `${victim.access_token.split('.')[0]}.${assemble(header, { ...claims, sid: otherDeviceId }).split('.')[1]}.${victim.access_token.split('.')[2]}`,
      () => victim.access_token,
    ],
    [
      'the genuine signature over a later exp',
      () =>
        `${victim.access_token.split('.')[0]}.${assemble(header, { ...claims, exp: (claims.exp as number) + 86_400 }).split('.')[1]}.${victim.access_token.split('.')[2]}`,
      () => victim.access_token,
    ],
    ['an HMAC under another strong key', () => signHmac(header, claims, attackerSecret), () => real()],
    ...['secret', '', 'password', 'your-256-bit-secret', 'changeme', '123456', 'device-auth'].map(
      (weak): [string, () => string, () => string] => [
        `an HMAC under the weak secret "${weak}"`,
        () => signHmac(header, claims, weak),
        () => real(),
      ],
    ),
    [
      'HS384 under the real secret (the algorithm is pinned, not just the key)',
      () => signHmac({ ...header, alg: 'HS384' }, claims, TEST_JWT_SECRET, 'HS384'),
      () => real(),
    ],
    ['HS512 under the real secret', () => signHmac({ ...header, alg: 'HS512' }, claims, TEST_JWT_SECRET, 'HS512'), () => real()],
    [
      'ES256 signed with an embedded "jwk" header key',
      () => signAsymmetric({ ...header, alg: 'ES256', jwk: keys.ec.publicJwk }, claims, keys.ec.privateKey, 'ES256'),
      () => real({ ...header, jwk: keys.ec.publicJwk }),
    ],
    [
      'HS256 under an embedded symmetric "jwk"',
      () => signHmac({ ...header, jwk: { kty: 'oct', k: Buffer.from(attackerSecret).toString('base64url') } }, claims, attackerSecret),
      () => real({ ...header, jwk: { kty: 'oct', k: 'AAAA' } }),
    ],
    [
      'RS256 with "jku" pointing at the attacker\'s key set',
      () =>
        signAsymmetric(
          { ...header, alg: 'RS256', jku: 'https://attacker.example/.well-known/jwks.json' },
          claims,
          keys.rsa.privateKey,
          'RS256',
        ),
      () => real({ ...header, jku: 'https://attacker.example/.well-known/jwks.json' }),
    ],
    [
      'RS256 with "x5u" pointing at the attacker\'s certificate',
      () => signAsymmetric({ ...header, alg: 'RS256', x5u: 'https://attacker.example/cert.pem' }, claims, keys.rsa.privateKey, 'RS256'),
      () => real({ ...header, x5u: 'https://attacker.example/cert.pem' }),
    ],
    [
      'a "kid" path traversal to /dev/null with an empty key',
      () => signHmac({ ...header, kid: '../../../../../../../dev/null' }, claims, ''),
      () => real(),
    ],
    [
      'a "kid" path traversal to a file of known content',
      () => signHmac({ ...header, kid: '../../../../../../../proc/sys/kernel/randomize_va_space' }, claims, '2\n'),
      () => real(),
    ],
    [
      'a "kid" SQL injection selecting a known key',
      () => signHmac({ ...header, kid: "x' UNION SELECT 'attacker-key' -- " }, claims, 'attacker-key'),
      () => real(),
    ],
    ['a "kid" SQL injection that is always true', () => signHmac({ ...header, kid: "' OR '1'='1" }, claims, ''), () => real()],
    ['the genuine signature with another "kid"', () => real({ ...header, kid: 'another-key' }), () => real()],
    ['no "kid"', () => real({ alg: 'HS256', typ: 'at+jwt' }), () => real()],
    [
      'ES256 under an attacker key while HS256 is configured',
      () => signAsymmetric({ ...header, alg: 'ES256' }, claims, keys.ec.privateKey, 'ES256'),
      () => real(),
    ],
    [
      'RS256 under an attacker key while HS256 is configured',
      () => signAsymmetric({ ...header, alg: 'RS256' }, claims, keys.rsa.privateKey, 'RS256'),
      () => real(),
    ],
    [
      'ES256 with the all-zero r‖s signature (CVE-2022-21449)',
      () => assemble({ ...header, alg: 'ES256' }, claims, Buffer.alloc(64).toString('base64url')),
      () => real(),
    ],
    [
      'ES256 with a DER r=0, s=0 signature (CVE-2022-21449)',
      () => assemble({ ...header, alg: 'ES256' }, claims, Buffer.from('3006020100020100', 'hex').toString('base64url')),
      () => real(),
    ],
    ['a token without "exp"', () => real(header, { ...claims, exp: undefined }), () => real()],
    ['a token without "iat"', () => real(header, { ...claims, iat: undefined }), () => real()],
    [
      'an "iat" an hour in the future',
      () => real(header, { ...claims, iat: nowSeconds() + 3600, exp: nowSeconds() + 3600 + 900 }),
      () => real(header, { ...claims, iat: nowSeconds(), exp: nowSeconds() + 900 }),
    ],
    [
      'an "nbf" an hour in the future',
      () => real(header, { ...claims, nbf: nowSeconds() + 3600 }),
      () => real(header, { ...claims, nbf: nowSeconds() - 60 }),
    ],
    ['another "iss"', () => real(header, { ...claims, iss: 'https://attacker.example' }), () => real()],
    ['no "iss"', () => real(header, { ...claims, iss: undefined }), () => real()],
    ['another "aud"', () => real(header, { ...claims, aud: 'another-api' }), () => real()],
    ['no "aud"', () => real(header, { ...claims, aud: undefined }), () => real()],
    ['"typ" JWT (any other token the service might sign)', () => real({ ...header, typ: 'JWT' }), () => real()],
    ['no "typ"', () => real({ alg: 'HS256', kid: header.kid }), () => real()],
    ['a numeric "sub"', () => real(header, { ...claims, sub: 1 }), () => real()],
    ['no "sid"', () => real(header, { ...claims, sid: undefined }), () => real()],
    ['the refresh token in place of the access token', () => victim.refresh_token, () => victim.access_token],
    // Under the real key: the header's alg must still be the pinned one (a hand-rolled HMAC
    // check that ignored `alg` would accept these), and unparsable parts are refused, not a 500.
    ['alg "none" over a valid HS256 MAC under the real key', () => real({ ...header, alg: 'none' }), () => real()],
    ['alg "HS512" over a valid HS256 MAC under the real key', () => real({ ...header, alg: 'HS512' }), () => real()],
    ['no "alg" over a valid HS256 MAC under the real key', () => real({ typ: 'at+jwt', kid: header.kid }), () => real()],
    ['a header that is not JSON, under the real key', () => signHmac('{"alg":"HS256",', claims, TEST_JWT_SECRET), () => real()],
    ['a payload that is not JSON, under the real key', () => signHmac(header, 'not json', TEST_JWT_SECRET), () => real()],
    ['a payload of null, under the real key', () => signHmac(header, 'null', TEST_JWT_SECRET), () => real()],
    ['a payload that is an array, under the real key', () => signHmac(header, JSON.stringify([claims]), TEST_JWT_SECRET), () => real()],
    ['a header of null, under the real key', () => signHmac('null', claims, TEST_JWT_SECRET), () => real()],
    ['8 KiB of base64url', () => randomBytes(6144).toString('base64url'), null],
    [
      'three segments of JSON that is not an object',
      () => `${Buffer.from('[]').toString('base64url')}.${Buffer.from('null').toString('base64url')}.x`,
      null,
    ],
  ];

  it.each(cases)('refuses %s with the same 401 everywhere and changes nothing', async (_, forge, control) => {
    await expectRefusedEverywhere(forge());
    if (control) await expectAccepted(control());
  });

  it('tells an expired token apart as "expired", and nothing else', async () => {
    const expired = real(header, { ...claims, iat: nowSeconds() - 1000, exp: nowSeconds() - 100 });
    const response = await api.http().get('/me').set('Authorization', `Bearer ${expired}`);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token", error_description="The access token expired."');
    expect(response.body).toEqual({
      type: 'urn:problem-type:device-auth:invalid-token',
      title: 'Unauthorized',
      status: 401,
      detail: 'The access token expired.',
    });
    expectNoLeak(response);
    // The same token still inside its lifetime passes.
    await expectAccepted(real(header, { ...claims, iat: nowSeconds() - 100, exp: nowSeconds() + 800 }));
  });

  describe('tokens outside the Authorization header', () => {
    it.each([
      ['?access_token= on GET /me', () => api.http().get(`/me?access_token=${victim.access_token}`)],
      ['?access_token= on GET /devices', () => api.http().get(`/devices?access_token=${victim.access_token}`)],
      ['?token= on POST /devices/revoke-others', () => api.http().post(`/devices/revoke-others?token=${victim.access_token}`)],
      [
        'an access_token field in a JSON body (RFC 6750 §2.2)',
        () => api.http().post('/devices/revoke-others').send({ access_token: victim.access_token }),
      ],
      ['a cookie', () => api.http().get('/devices').set('Cookie', `access_token=${victim.access_token}; token=${victim.access_token}`)],
      ['an X-Access-Token header', () => api.http().get('/me').set('X-Access-Token', victim.access_token)],
    ])('refuses a valid token sent as %s', async (_, send) => {
      await expectDatabaseUnchanged(api, async () => expectInvalidToken(await send()));
      // The very same token in the Authorization header is good.
      await api.http().get('/me').set('Authorization', bearer(victim)).expect(200);
    });
  });

  it('answers every refusal with byte-identical bodies and challenges', async () => {
    const responses = await Promise.all(cases.map(([, forge]) => api.http().get('/me').set('Authorization', `Bearer ${forge()}`)));
    expect(new Set(responses.map((response) => response.text))).toEqual(new Set([JSON.stringify(INVALID_TOKEN_BODY)]));
    expect(new Set(responses.map((response) => response.headers['www-authenticate'])).size).toBe(1);
  });
});
