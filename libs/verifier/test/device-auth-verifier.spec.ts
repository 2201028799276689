import { generateKeyPair as generateDpopKeyPair, generateProof } from 'dpop';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createHmac } from 'node:crypto';
import { AccessDenied, createVerifier, type DeviceAuthVerifier, type VerifiableRequest, type VerifierOptions } from '../src/index.js';

const ISSUER = 'https://auth.test';
const AUDIENCE = 'device-auth-api';
const JWKS_URL = 'https://auth.test/.well-known/jwks.json';
const FEED_URL = 'https://auth.test/revocations';
const FEED_TOKEN = 'feed-token-of-at-least-thirty-two-bytes!';
const RESOURCE = 'https://orders.test/orders';

type FeedHandler = (url: URL, headers: Headers) => Response | Promise<Response>;

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('DeviceAuthVerifier', () => {
  let signingKey: CryptoKey;
  let publicJwk: JWK;
  let otherKey: CryptoKey;
  let feedHandler: FeedHandler;
  const verifiers: DeviceAuthVerifier[] = [];

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    signingKey = pair.privateKey;
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' };
    otherKey = (await generateKeyPair('ES256')).privateKey;
  });

  beforeEach(() => {
    feedHandler = () => json({ revoked: [], cursor: 'c0' });
  });

  afterEach(async () => {
    await Promise.all(verifiers.splice(0).map((verifier) => verifier.close()));
  });

  /** Serves the JWK set and the feed from memory, as the API would. */
  const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    if (url.href === JWKS_URL) return json({ keys: [publicJwk] });
    if (url.origin + url.pathname === FEED_URL) return feedHandler(url, new Headers(init?.headers));
    return json({}, 404);
  }) as typeof fetch;

  function verifier(options: Partial<VerifierOptions> = {}): DeviceAuthVerifier {
    const created = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: JWKS_URL,
      fetch: fakeFetch,
      onError: () => undefined,
      ...options,
    });
    verifiers.push(created);
    return created;
  }

  interface TokenShape {
    header?: Record<string, unknown>;
    claims?: Record<string, unknown>;
    key?: CryptoKey | Uint8Array;
  }

  async function token({ header = {}, claims = {}, key = signingKey }: TokenShape = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      sub: 'user-1',
      sid: 'device-1',
      jti: crypto.randomUUID(),
      iss: ISSUER,
      aud: AUDIENCE,
      iat: now,
      exp: now + 900,
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'key-1', ...header } as { alg: string })
      .sign(key);
  }

  const request = (authorization: string | undefined, extra: Partial<VerifiableRequest> = {}): VerifiableRequest => ({
    authorization,
    dpop: undefined,
    method: 'GET',
    url: RESOURCE,
    ...extra,
  });

  async function refusal(promise: Promise<unknown>): Promise<AccessDenied> {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AccessDenied);
    return error as AccessDenied;
  }

  describe('access tokens', () => {
    it('accepts an ES256 at+jwt of the issuer for the audience, verified with the JWK set', async () => {
      const principal = await verifier().verifyRequest(request(`Bearer ${await token()}`));
      expect(principal).toMatchObject({ userId: 'user-1', deviceId: 'device-1', jkt: null, expiresAt: expect.any(Number) });
    });

    it.each<[string, () => Promise<string>]>([
      ['another issuer', () => token({ claims: { iss: 'https://evil.test' } })],
      ['another audience', () => token({ claims: { aud: 'another-api' } })],
      ['another typ (an ID token, say)', () => token({ header: { typ: 'JWT' } })],
      ['no sid', () => token({ claims: { sid: undefined } })],
      ['no jti', () => token({ claims: { jti: undefined } })],
      ['a signature by another key under our kid', () => token({ key: otherKey })],
      [
        'an iat in the future',
        () => token({ claims: { iat: Math.floor(Date.now() / 1000) + 600, exp: Math.floor(Date.now() / 1000) + 1200 } }),
      ],
      [
        'alg none',
        async () => {
          const [header, payload] = (await token()).split('.');
          const none = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(header!, 'base64url').toString()), alg: 'none' })).toString(
            'base64url',
          );
          return `${none}.${payload}.`;
        },
      ],
      [
        'HS256 keyed with the public key (algorithm confusion)',
        async () => {
          const [, payload] = (await token()).split('.');
          const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: 'key-1' })).toString('base64url');
          const input = `${header}.${payload}`;
          return `${input}.${createHmac('sha256', JSON.stringify(publicJwk)).update(input).digest('base64url')}`;
        },
      ],
      ['garbage', async () => 'not.a.token'],
    ])('refuses a token with %s: 401 with a Bearer challenge', async (_name, make) => {
      const denied = await refusal(verifier().verifyRequest(request(`Bearer ${await make()}`)));
      expect(denied).toMatchObject({ status: 401, statusCode: 401, reason: 'invalid_token', message: 'The access token is invalid.' });
      expect(denied.headers).toEqual({ 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    });

    it('tells "expired" apart, and nothing else', async () => {
      const now = Math.floor(Date.now() / 1000);
      const denied = await refusal(
        verifier().verifyRequest(request(`Bearer ${await token({ claims: { iat: now - 1000, exp: now - 60 } })}`)),
      );
      expect(denied.message).toBe('The access token expired.');
    });

    it('refuses a missing or malformed Authorization header', async () => {
      const good = await token();
      const malformed = [
        undefined,
        '',
        'Basic abc',
        'Bearer',
        'Bearer ',
        'Bearer a b',
        `Bearer ${good} ${good}`,
        `Bearer\t${good}`,
        ` Bearer ${good}`,
        `Bearer ${good}%`,
        `Bearer ${good}=`,
        `Bearer ${good.replace('.', '..')}`,
        `Bearer ${good}.${good.split('.')[2]}`,
      ];
      const once = verifier();
      // The valid token first, so that it is remembered: its variants are still refused.
      await expect(once.verifyRequest(request(`Bearer ${good}`))).resolves.toMatchObject({ deviceId: 'device-1' });
      for (const authorization of malformed) {
        expect([authorization, (await refusal(once.verifyRequest(request(authorization)))).status]).toEqual([authorization, 401]);
      }
      // Case-insensitive scheme, several spaces before the token and spaces after it are fine.
      await expect(once.verifyRequest(request(`bEARER   ${good}  `))).resolves.toMatchObject({ deviceId: 'device-1' });
    });

    it('remembers a verified token whole: a forged header or payload under its remembered signature is refused', async () => {
      const v = verifier();
      const good = await token();
      const [header, payload, signature] = good.split('.') as [string, string, string];
      await expect(v.verifyRequest(request(`Bearer ${good}`))).resolves.toMatchObject({ userId: 'user-1' });
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      const forgedPayload = Buffer.from(JSON.stringify({ ...claims, sub: 'user-2' })).toString('base64url');
      const forgedHeader = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'key-2' })).toString('base64url');
      for (const forged of [`${header}.${forgedPayload}.${signature}`, `${forgedHeader}.${payload}.${signature}`]) {
        expect((await refusal(v.verifyRequest(request(`Bearer ${forged}`)))).reason).toBe('invalid_token');
      }
      // The forgeries took nothing from the real token's place.
      await expect(v.verifyRequest(request(`Bearer ${good}`))).resolves.toMatchObject({ userId: 'user-1' });
    });

    it('verifies HS256 tokens with a shared secret instead, and then refuses ES256 ones', async () => {
      const secret = 'the-api-jwt-secret-of-at-least-32-bytes';
      const hs = verifier({ jwksUri: undefined, secret });
      const hsToken = await token({ header: { alg: 'HS256' }, key: new TextEncoder().encode(secret) });
      await expect(hs.verifyRequest(request(`Bearer ${hsToken}`))).resolves.toMatchObject({ deviceId: 'device-1' });
      await refusal(hs.verifyRequest(request(`Bearer ${await token()}`)));
      expect(() => verifier({ jwksUri: undefined, secret: 'short' })).toThrow(RangeError);
      expect(() => verifier({ secret })).toThrow(TypeError);
    });
  });

  describe('DPoP-bound tokens', () => {
    async function bound() {
      const keyPair = await generateDpopKeyPair('ES256');
      const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
      const accessToken = await token({ claims: { cnf: { jkt } } });
      return { keyPair, accessToken };
    }

    it('accepts a bound token as DPoP with a proof by its key for this request', async () => {
      const { keyPair, accessToken } = await bound();
      const dpop = await generateProof(keyPair, RESOURCE, 'GET', undefined, accessToken);
      const principal = await verifier().verifyRequest(request(`DPoP ${accessToken}`, { dpop }));
      expect(principal.jkt).toEqual(expect.any(String));
    });

    it('refuses the bound token as Bearer, without a proof, with a replayed proof, or a proof for another request', async () => {
      const subject = verifier();
      const { keyPair, accessToken } = await bound();
      await refusal(subject.verifyRequest(request(`Bearer ${accessToken}`)));
      const missing = await refusal(subject.verifyRequest(request(`DPoP ${accessToken}`)));
      expect(missing.headers['WWW-Authenticate']).toBe('DPoP error="invalid_dpop_proof", algs="ES256 EdDSA Ed25519"');
      const proof = await generateProof(keyPair, RESOURCE, 'GET', undefined, accessToken);
      await subject.verifyRequest(request(`DPoP ${accessToken}`, { dpop: proof }));
      expect((await refusal(subject.verifyRequest(request(`DPoP ${accessToken}`, { dpop: proof })))).reason).toBe('invalid_dpop_proof');
      const otherUrl = await generateProof(keyPair, 'https://orders.test/other', 'GET', undefined, accessToken);
      await refusal(subject.verifyRequest(request(`DPoP ${accessToken}`, { dpop: otherUrl })));
      const otherMethod = await generateProof(keyPair, RESOURCE, 'POST', undefined, accessToken);
      await refusal(subject.verifyRequest(request(`DPoP ${accessToken}`, { dpop: otherMethod })));
      const otherToken = await generateProof(keyPair, RESOURCE, 'GET', undefined, await token());
      await refusal(subject.verifyRequest(request(`DPoP ${accessToken}`, { dpop: otherToken })));
      const two = await generateProof(keyPair, RESOURCE, 'GET', undefined, accessToken);
      await refusal(subject.verifyRequest(request(`DPoP ${accessToken}`, { dpop: [two, two] })));
    });

    it('refuses a proof by another key than the token is bound to with invalid_token', async () => {
      const { accessToken } = await bound();
      const thief = await generateDpopKeyPair('ES256');
      const dpop = await generateProof(thief, RESOURCE, 'GET', undefined, accessToken);
      const denied = await refusal(verifier().verifyRequest(request(`DPoP ${accessToken}`, { dpop })));
      expect(denied.headers['WWW-Authenticate']).toBe('DPoP error="invalid_token", algs="ES256 EdDSA Ed25519"');
    });

    it('refuses an unbound token presented as DPoP', async () => {
      await refusal(verifier().verifyRequest(request(`DPoP ${await token()}`, { dpop: 'x' })));
    });
  });

  describe('revocation feed', () => {
    const feed = { url: FEED_URL, token: FEED_TOKEN, waitSeconds: 1, maxStalenessSeconds: 11, retryDelayMs: { first: 20, max: 50 } };

    it('refuses the tokens of devices the feed lists, follows its cursor with its credential, and forgets entries after until', async () => {
      const seen: { after: string | null; wait: string | null; authorization: string | null }[] = [];
      let round = 0;
      feedHandler = (url, headers) => {
        seen.push({
          after: url.searchParams.get('after'),
          wait: url.searchParams.get('wait'),
          authorization: headers.get('authorization'),
        });
        round++;
        if (round === 1) {
          return json({
            revoked: [
              {
                deviceId: 'device-1',
                userId: 'user-1',
                revokedAt: new Date().toISOString(),
                until: new Date(Date.now() + 60_000).toISOString(),
              },
              // Its tokens are all past expiry (and the clock tolerance): nothing to refuse.
              {
                deviceId: 'device-old',
                userId: 'user-1',
                revokedAt: new Date().toISOString(),
                until: new Date(Date.now() - 10_000).toISOString(),
              },
            ],
            cursor: 'c1',
          });
        }
        return json({ revoked: [], cursor: `c${round}` });
      };
      const subject = verifier({ feed });
      await subject.ready();
      expect(subject.isRevoked('device-1')).toBe(true);
      expect(subject.isRevoked('device-old')).toBe(false);
      expect(subject.isRevoked('device-2')).toBe(false);
      await refusal(subject.verifyRequest(request(`Bearer ${await token()}`)));
      await expect(subject.verifyRequest(request(`Bearer ${await token({ claims: { sid: 'device-2' } })}`))).resolves.toBeDefined();
      await sleep(700);
      expect(seen[0]).toEqual({ after: null, wait: null, authorization: `Bearer ${FEED_TOKEN}` });
      expect(seen[1]).toEqual({ after: 'c1', wait: '1', authorization: `Bearer ${FEED_TOKEN}` });
    });

    it('refuses a token it accepted before once the feed lists its device: the signature cache never outlives a revocation', async () => {
      let revoked = false;
      feedHandler = () =>
        json({
          revoked: revoked
            ? [
                {
                  deviceId: 'device-1',
                  userId: 'user-1',
                  revokedAt: new Date().toISOString(),
                  until: new Date(Date.now() + 60_000).toISOString(),
                },
              ]
            : [],
          cursor: revoked ? 'c2' : 'c1',
        });
      const subject = verifier({ feed });
      await subject.ready();
      const accessToken = await token();
      await subject.verifyRequest(request(`Bearer ${accessToken}`));
      await subject.verifyRequest(request(`Bearer ${accessToken}`));
      revoked = true;
      const started = Date.now();
      while (!subject.isRevoked('device-1') && Date.now() - started < 3_000) await sleep(20);
      await refusal(subject.verifyRequest(request(`Bearer ${accessToken}`)));
    });

    it('fails closed until the feed has answered, retrying with back-off, unless told to fail open', async () => {
      let failures = 3;
      feedHandler = () => (failures-- > 0 ? json({ status: 503 }, 503) : json({ revoked: [], cursor: 'c' }));
      const errors: Error[] = [];
      const subject = verifier({ feed, onError: (error) => errors.push(error) });
      const denied = await refusal(subject.verifyRequest(request(`Bearer ${await token()}`)));
      expect(denied).toMatchObject({ status: 503, reason: 'revocations_unknown' });
      expect(denied.headers['Retry-After']).toBeDefined();
      await subject.ready();
      expect(errors.map((error) => error.message)).toEqual(Array(3).fill('revocation feed answered 503'));
      await expect(subject.verifyRequest(request(`Bearer ${await token()}`))).resolves.toBeDefined();

      feedHandler = () => json({}, 503);
      const open = verifier({ feed: { ...feed, whenStale: 'accept' } });
      await expect(open.verifyRequest(request(`Bearer ${await token()}`))).resolves.toBeDefined();
    });

    it('starts again without a cursor when the feed refuses it (a replaced or restored database)', async () => {
      const afters: (string | null)[] = [];
      feedHandler = (url) => {
        const after = url.searchParams.get('after');
        afters.push(after);
        if (after === 'stale') return json({ status: 400 }, 400);
        return json({ revoked: [], cursor: afters.length === 1 ? 'stale' : 'fresh' });
      };
      const subject = verifier({ feed });
      await subject.ready();
      await sleep(700);
      expect(afters.slice(0, 3)).toEqual([null, 'stale', null]);
    });

    it('refuses options that would make it lie about staleness', () => {
      expect(() => verifier({ feed: { ...feed, waitSeconds: 31 } })).toThrow(RangeError);
      expect(() => verifier({ feed: { ...feed, waitSeconds: 25, maxStalenessSeconds: 30 } })).toThrow(RangeError);
    });
  });
});
