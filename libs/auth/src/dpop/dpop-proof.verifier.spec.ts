import { RateLimited } from '@app/platform';
import { generateKeyPair as generateDpopKeyPair, generateProof, type KeyPair } from 'dpop';
import fc from 'fast-check';
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair as generateJoseKeyPair, SignJWT, type JWK } from 'jose';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DpopNonces } from './dpop-nonces.js';
import { DpopProofVerifier, type DpopProofVerifierOptions } from './dpop-proof.verifier.js';
import { DpopNonceRequired, DpopProofInvalid } from './dpop.errors.js';

// Proofs are made by panva's `dpop` client library with WebCrypto keys, as a device would make
// them; jose's SignJWT only crafts what a conforming client never sends (HS256, RS256, private jwk…).

const URL_ = 'https://api.example.com/auth/refresh';
const ALL = { method: 'POST', url: URL_ };

function verifier(options: Partial<DpopProofVerifierOptions> = {}): DpopProofVerifier {
  return new DpopProofVerifier({ maxAgeSeconds: 60, clockToleranceSeconds: 5, now: Date.now, ...options });
}

async function publicJwk(keys: KeyPair): Promise<JWK> {
  return exportJWK(keys.publicKey);
}

/** A proof signed by jose with whatever header and claims a test needs. */
async function craft(
  key: Parameters<SignJWT['sign']>[0],
  header: Record<string, unknown>,
  claims: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({ htm: 'POST', htu: URL_, iat: Math.floor(Date.now() / 1000), jti: randomUUID(), ...claims })
    .setProtectedHeader({ typ: 'dpop+jwt', ...header } as Parameters<SignJWT['setProtectedHeader']>[0])
    .sign(key);
}

async function expectInvalid(promise: Promise<unknown>, detail?: RegExp): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DpopProofInvalid);
  expect((error as DpopProofInvalid).oauthError).toBe('invalid_dpop_proof');
  if (detail) expect((error as DpopProofInvalid).detail).toMatch(detail);
}

let es256: KeyPair;
let ed25519: KeyPair;

beforeAll(async () => {
  es256 = await generateDpopKeyPair('ES256');
  ed25519 = await generateDpopKeyPair('Ed25519');
});

describe('DpopProofVerifier: valid proofs', () => {
  it.each([
    ['ES256', () => es256],
    ['Ed25519', () => ed25519],
  ])('accepts a %s proof and returns the RFC 7638 thumbprint of its key', async (_alg, keys) => {
    const proof = await generateProof(keys(), URL_, 'POST');
    const result = await verifier().verify(proof, ALL);
    expect(result.jkt).toBe(await calculateJwkThumbprint(await publicJwk(keys()), 'sha256'));
    expect(result.jti).toBe(JSON.parse(Buffer.from(proof.split('.')[1], 'base64url').toString()).jti);
  });

  it('accepts an Ed25519 proof under the older alg name EdDSA', async () => {
    const { privateKey, publicKey } = await generateJoseKeyPair('Ed25519');
    const proof = await craft(privateKey, { alg: 'EdDSA', jwk: await exportJWK(publicKey) });
    const result = await verifier().verify(proof, ALL);
    expect(result.jkt).toBe(await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256'));
  });

  it('accepts htu that differ only by normalisation, query or fragment', async () => {
    const v = verifier();
    const variants = [
      'HTTPS://API.Example.COM/auth/refresh',
      'https://api.example.com:443/auth/refresh',
      'https://api.example.com/auth/refresh?x=1',
      'https://api.example.com/auth/refresh#frag',
      'https://api.example.com/auth/%72efresh',
      'https://api.example.com/auth/./refresh',
    ];
    for (const htu of variants) {
      await expect(v.verify(await generateProof(es256, htu, 'POST'), ALL)).resolves.toHaveProperty('jkt');
    }
    const withQuery = { method: 'POST', url: 'https://api.example.com/auth/refresh?client=1#x' };
    await expect(v.verify(await generateProof(es256, URL_, 'POST'), withQuery)).resolves.toHaveProperty('jkt');
    const defaultHttpPort = { method: 'GET', url: 'http://localhost:80/me' };
    await expect(v.verify(await generateProof(es256, 'http://LOCALHOST/me', 'GET'), defaultHttpPort)).resolves.toHaveProperty('jkt');
    const encoded = { method: 'GET', url: 'https://a.example/x%2fy' };
    await expect(v.verify(await generateProof(es256, 'https://a.example/x%2Fy', 'GET'), encoded)).resolves.toHaveProperty('jkt');
  });
});

describe('DpopProofVerifier: method and URL', () => {
  it('refuses another method, compared case-sensitively', async () => {
    await expectInvalid(verifier().verify(await generateProof(es256, URL_, 'GET'), ALL), /method/);
    await expectInvalid(verifier().verify(await generateProof(es256, URL_, 'post'), ALL), /method/);
  });

  it.each([
    ['path', 'https://api.example.com/auth/login'],
    ['trailing slash', 'https://api.example.com/auth/refresh/'],
    ['scheme', 'http://api.example.com/auth/refresh'],
    ['host', 'https://evil.example.com/auth/refresh'],
    ['port', 'https://api.example.com:8443/auth/refresh'],
    ['userinfo', 'https://user@api.example.com/auth/refresh'],
    ['non-http scheme', 'wss://api.example.com/auth/refresh'],
    ['relative URL', '/auth/refresh'],
  ])('refuses an htu with another %s', async (_what, htu) => {
    await expectInvalid(verifier().verify(await generateProof(es256, htu, 'POST'), ALL), /URL/);
  });

  it('treats an expected URL that is not absolute http(s) as a programming error, not a bad proof', async () => {
    await expect(verifier().verify(await generateProof(es256, URL_, 'POST'), { method: 'POST', url: '/auth/refresh' })).rejects.toThrow(
      TypeError,
    );
  });

  it('refuses an htu that is not a string', async () => {
    const { privateKey, publicKey } = await generateJoseKeyPair('ES256');
    await expectInvalid(
      verifier().verify(await craft(privateKey, { alg: 'ES256', jwk: await exportJWK(publicKey) }, { htu: 42 }), ALL),
      /URL/,
    );
  });
});

describe('DpopProofVerifier: freshness', () => {
  it('refuses a proof older than maxAgeSeconds and accepts one just inside it', async () => {
    const proof = await generateProof(es256, URL_, 'POST');
    await expectInvalid(verifier({ now: () => Date.now() + 62_000 }).verify(proof, ALL), /too old/);
    await expect(verifier({ now: () => Date.now() + 55_000 }).verify(proof, ALL)).resolves.toHaveProperty('jkt');
  });

  it('refuses a proof from beyond the clock tolerance in the future and accepts one within it', async () => {
    const proof = await generateProof(es256, URL_, 'POST');
    await expectInvalid(verifier({ now: () => Date.now() - 10_000 }).verify(proof, ALL), /future/);
    await expect(verifier({ now: () => Date.now() - 3_000 }).verify(proof, ALL)).resolves.toHaveProperty('jkt');
  });

  it('refuses a proof without a numeric iat', async () => {
    const { privateKey, publicKey } = await generateJoseKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    await expectInvalid(verifier().verify(await craft(privateKey, { alg: 'ES256', jwk }, { iat: undefined }), ALL), /iat/);
    await expectInvalid(verifier().verify(await craft(privateKey, { alg: 'ES256', jwk }, { iat: '1700000000' }), ALL));
  });
});

describe('DpopProofVerifier: replay', () => {
  it('refuses a proof seen before, and its jti under the same key', async () => {
    const v = verifier();
    const proof = await generateProof(es256, URL_, 'POST');
    await v.verify(proof, ALL);
    await expectInvalid(v.verify(proof, ALL), /already used/);
    const { privateKey, publicKey } = await generateJoseKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const jti = randomUUID();
    await v.verify(await craft(privateKey, { alg: 'ES256', jwk }, { jti }), ALL);
    await expectInvalid(v.verify(await craft(privateKey, { alg: 'ES256', jwk }, { jti, htm: 'POST' }), ALL), /already used/);
  });

  it('does not let one key block another key’s jti', async () => {
    const v = verifier();
    const jti = randomUUID();
    for (const alg of ['ES256', 'Ed25519'] as const) {
      const { privateKey, publicKey } = await generateJoseKeyPair(alg);
      await expect(v.verify(await craft(privateKey, { alg, jwk: await exportJWK(publicKey) }, { jti }), ALL)).resolves.toHaveProperty(
        'jti',
        jti,
      );
    }
  });

  it('refuses a concurrent double submission of one proof once', async () => {
    const v = verifier();
    const proof = await generateProof(es256, URL_, 'POST');
    const results = await Promise.allSettled([v.verify(proof, ALL), v.verify(proof, ALL)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('refuses jti that are missing, empty or longer than 128 characters', async () => {
    const { privateKey, publicKey } = await generateJoseKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    for (const jti of [undefined, '', 'x'.repeat(129), 7]) {
      await expectInvalid(verifier().verify(await craft(privateKey, { alg: 'ES256', jwk }, { jti }), ALL), /jti/);
    }
    await expect(verifier().verify(await craft(privateKey, { alg: 'ES256', jwk }, { jti: 'x'.repeat(128) }), ALL)).resolves.toBeDefined();
  });

  it('check remembers nothing; remember refuses the same proof twice, under any owner', async () => {
    const v = verifier();
    const proof = await generateProof(es256, URL_, 'POST');
    const first = await v.check(proof, ALL);
    const again = await v.check(proof, ALL);
    expect(v.replayCacheEntries).toBe(0);
    v.remember(first, 'signin:203.0.113.7');
    expect(() => v.remember(again, 'signin:198.51.100.1')).toThrow(DpopProofInvalid);
    await expectInvalid(v.verify(proof, ALL), /already used/);
  });

  it('limits one key to its share of the replay cache (429), and forgets entries once past the window', async () => {
    const clock = { ms: Date.now() };
    const v = verifier({ replayCacheSize: 32, now: () => clock.ms });
    expect(v.replayShareOfOwner).toBe(2);
    for (let i = 0; i < 2; i++) await v.verify(await generateProof(es256, URL_, 'POST'), ALL);
    const limited = await v.verify(await generateProof(es256, URL_, 'POST'), ALL).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimited);
    // Another key is unaffected.
    await expect(v.verify(await generateProof(ed25519, URL_, 'POST'), ALL)).resolves.toHaveProperty('jkt');
    // The window is max age plus tolerance (65 s); after it the entries go and new proofs pass.
    clock.ms += 66_000;
    expect(v.replayCacheEntries).toBe(0);
    const later = await generateProof(es256, URL_, 'POST');
    clock.ms = Date.now();
    await expect(v.verify(later, ALL)).resolves.toHaveProperty('jkt');
  });
});

describe('DpopProofVerifier: access-token binding (ath)', () => {
  const accessToken = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln';
  const withToken = { ...ALL, accessToken };

  it('accepts the right ath', async () => {
    await expect(verifier().verify(await generateProof(es256, URL_, 'POST', undefined, accessToken), withToken)).resolves.toHaveProperty(
      'jkt',
    );
  });

  it('refuses a missing ath when a token is presented', async () => {
    await expectInvalid(verifier().verify(await generateProof(es256, URL_, 'POST'), withToken), /access token/);
  });

  it('refuses the ath of another token, and malformed ath', async () => {
    await expectInvalid(
      verifier().verify(await generateProof(es256, URL_, 'POST', undefined, `${accessToken}x`), withToken),
      /access token/,
    );
    const { privateKey, publicKey } = await generateJoseKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const right = createHash('sha256').update(accessToken).digest('base64url');
    for (const ath of [right.slice(0, -1), `${right}=`, right.toUpperCase(), createHash('sha256').update(accessToken).digest('hex'), 5]) {
      await expectInvalid(verifier().verify(await craft(privateKey, { alg: 'ES256', jwk }, { ath }), withToken), /access token/);
    }
  });
});

describe('DpopProofVerifier: header and algorithm', () => {
  it.each(['HS256', 'RS256', 'PS256', 'ES384'])('refuses alg %s', async (alg) => {
    if (alg === 'HS256') {
      const secret = randomBytes(32);
      await expectInvalid(verifier().verify(await craft(secret, { alg, jwk: { kty: 'oct', k: base64url.encode(secret) } }), ALL));
      return;
    }
    const { privateKey, publicKey } = await generateJoseKeyPair(alg, { extractable: true });
    await expectInvalid(verifier().verify(await craft(privateKey, { alg, jwk: await exportJWK(publicKey) }), ALL), /ES256 or EdDSA/);
  });

  it('refuses alg none, and a P-256 key declared under another alg', async () => {
    const jwk = await publicJwk(es256);
    const header = base64url.encode(JSON.stringify({ typ: 'dpop+jwt', alg: 'none', jwk }));
    const claims = base64url.encode(JSON.stringify({ htm: 'POST', htu: URL_, iat: Math.floor(Date.now() / 1000), jti: randomUUID() }));
    await expectInvalid(verifier().verify(`${header}.${claims}.`, ALL));
    const real = await generateProof(es256, URL_, 'POST');
    const [h, p, s] = real.split('.');
    const relabelled = base64url.encode(JSON.stringify({ ...JSON.parse(Buffer.from(h, 'base64url').toString()), alg: 'ES256K' }));
    await expectInvalid(verifier().verify(`${relabelled}.${p}.${s}`, ALL));
  });

  it('refuses a tampered signature or payload', async () => {
    const [h, p, s] = (await generateProof(es256, URL_, 'POST')).split('.');
    const other = (await generateProof(es256, URL_, 'GET')).split('.')[1];
    await expectInvalid(verifier().verify(`${h}.${other}.${s}`, { method: 'GET', url: URL_ }));
    const flipped = Buffer.from(s, 'base64url');
    flipped[10] ^= 1;
    await expectInvalid(verifier().verify(`${h}.${p}.${flipped.toString('base64url')}`, ALL));
  });

  it('checks every proof in full when its key is already known (the key cache spares the import only)', async () => {
    const v = verifier();
    const { privateKey, publicKey } = await generateJoseKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    await v.verify(await craft(privateKey, { alg: 'ES256', jwk }), ALL);
    // The same header as the accepted proof: the signature, payload and claims are still checked.
    const [h, p, s] = (await craft(privateKey, { alg: 'ES256', jwk })).split('.');
    const flipped = Buffer.from(s, 'base64url');
    flipped[10] ^= 1;
    await expectInvalid(v.verify(`${h}.${p}.${flipped.toString('base64url')}`, ALL));
    const [, other] = (await craft(privateKey, { alg: 'ES256', jwk }, { htm: 'GET' })).split('.');
    await expectInvalid(v.verify(`${h}.${other}.${s}`, ALL));
    await expectInvalid(
      v.verify(await craft(privateKey, { alg: 'ES256', jwk }, { htu: 'https://api.example.com/auth/login' }), ALL),
      /URL/,
    );
    await expectInvalid(
      v.verify(await craft(privateKey, { alg: 'ES256', jwk }, { iat: Math.floor(Date.now() / 1000) - 600 }), ALL),
      /too old/,
    );
    // The same key under another typ, or in another header spelling with a private member, is refused.
    await expectInvalid(v.verify(await craft(privateKey, { alg: 'ES256', typ: 'jwt', jwk }), ALL));
    const { privateKey: signer } = await generateJoseKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(signer);
    await v.verify(await craft(signer, { alg: 'ES256', jwk: { ...privateJwk, d: undefined } }), ALL);
    await expectInvalid(v.verify(await craft(signer, { alg: 'ES256', jwk: privateJwk }), ALL), /private key/);
    // A header refused once is refused again (refusals are not remembered as keys).
    await expectInvalid(v.verify(await craft(signer, { alg: 'ES256', jwk: privateJwk }), ALL), /private key/);
  });

  it.each([['jwt'], ['JWT'], ['at+jwt'], [undefined]])('refuses typ %s', async (typ) => {
    const { privateKey, publicKey } = await generateJoseKeyPair('ES256');
    await expectInvalid(verifier().verify(await craft(privateKey, { alg: 'ES256', typ, jwk: await exportJWK(publicKey) }), ALL));
  });

  it('refuses a jwk carrying the private key', async () => {
    const { privateKey } = await generateJoseKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    expect(privateJwk.d).toBeDefined();
    await expectInvalid(verifier().verify(await craft(privateKey, { alg: 'ES256', jwk: privateJwk }), ALL), /private key/);
  });

  it('refuses a proof that names its key by kid only, or by a non-object jwk', async () => {
    const { privateKey } = await generateJoseKeyPair('ES256');
    await expectInvalid(verifier().verify(await craft(privateKey, { alg: 'ES256', kid: 'device-1' }), ALL), /jwk/);
    await expectInvalid(verifier().verify(await craft(privateKey, { alg: 'ES256', jwk: 'key' }), ALL), /jwk/);
    // A key that is not the signer's fails the signature check.
    const { publicKey: other } = await generateJoseKeyPair('ES256');
    await expectInvalid(verifier().verify(await craft(privateKey, { alg: 'ES256', jwk: await exportJWK(other) }), ALL));
  });

  it('refuses a missing, empty, oversized or garbage proof, and a comma-joined pair', async () => {
    await expectInvalid(verifier().verify(undefined, ALL), /required/);
    await expectInvalid(verifier().verify('', ALL), /required/);
    await expectInvalid(verifier().verify('a'.repeat(9000), ALL), /too large/);
    for (const garbage of ['garbage', 'a.b.c', '..', 'eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.', 'Bearer x']) {
      await expectInvalid(verifier().verify(garbage, ALL));
    }
    const proof = await generateProof(es256, URL_, 'POST');
    await expectInvalid(verifier().verify(`${proof}, ${await generateProof(es256, URL_, 'POST')}`, ALL));
  });

  it('throws nothing but DpopProofInvalid for arbitrary strings (property)', async () => {
    const v = verifier();
    const tokenish = fc.oneof(
      fc.string(),
      fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map((parts) => parts.join('.').replace(/=/g, '')),
      fc.tuple(fc.json(), fc.json(), fc.string()).map(([h, p, s]) => [base64url.encode(h), base64url.encode(p), s].join('.')),
      fc
        .record({ typ: fc.constantFrom('dpop+jwt', 'jwt'), alg: fc.constantFrom('ES256', 'EdDSA', 'none', 'HS256'), jwk: fc.jsonValue() })
        .map((h) => `${base64url.encode(JSON.stringify(h))}.${base64url.encode('{}')}.AAAA`),
    );
    await fc.assert(
      fc.asyncProperty(tokenish, async (input) => {
        const error = await v.verify(input, ALL).then(
          () => new Error('accepted'),
          (e: unknown) => e,
        );
        return error instanceof DpopProofInvalid;
      }),
      { numRuns: 300 },
    );
  });
});

describe('DpopProofVerifier: nonces', () => {
  const key = randomBytes(32);
  function setup(options: Partial<DpopProofVerifierOptions> = {}) {
    const clock = { ms: Date.now() };
    const nonces = new DpopNonces({ key, windowSeconds: 30, now: () => clock.ms });
    const v = verifier({ now: () => clock.ms, ...options });
    const expected = { ...ALL, nonce: (n: string | undefined) => nonces.isValid(n) };
    return { clock, nonces, v, expected };
  }

  async function expectNonceRequired(promise: Promise<unknown>): Promise<void> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DpopNonceRequired);
    expect((error as DpopNonceRequired).oauthError).toBe('use_dpop_nonce');
  }

  it('asks for a nonce when the proof has none', async () => {
    const { v, expected } = setup();
    await expectNonceRequired(v.verify(await generateProof(es256, URL_, 'POST'), expected));
  });

  it('accepts the current and the previous window’s nonce, not one from two windows ago', async () => {
    const { clock, nonces, v, expected } = setup();
    const issued = nonces.current();
    await expect(v.verify(await generateProof(es256, URL_, 'POST', issued), expected)).resolves.toHaveProperty('jkt');
    clock.ms += 30_000;
    await expect(v.verify(await generateProof(es256, URL_, 'POST', issued), { ...expected })).resolves.toHaveProperty('jkt');
    clock.ms += 30_000;
    // A fresh iat by the server's clock, so only the nonce is stale.
    const v2 = verifier({ now: () => Date.now() });
    await expectNonceRequired(v2.verify(await generateProof(es256, URL_, 'POST', issued), expected));
  });

  it('refuses a nonce forged with another key, and malformed nonces', async () => {
    const { clock, v, expected } = setup();
    const forged = new DpopNonces({ key: randomBytes(32), windowSeconds: 30, now: () => clock.ms }).current();
    for (const nonce of [forged, 'not-a-nonce', '']) {
      await expectNonceRequired(v.verify(await generateProof(es256, URL_, 'POST', nonce), expected));
    }
    const { privateKey, publicKey } = await generateJoseKeyPair('ES256');
    await expectInvalid(
      v.verify(await craft(privateKey, { alg: 'ES256', jwk: await exportJWK(publicKey) }, { nonce: 12 }), expected),
      /nonce/,
    );
  });

  it('answers use_dpop_nonce before judging iat, so a skewed device learns the nonce', async () => {
    const { clock, v, expected } = setup();
    clock.ms += 10 * 60_000;
    await expectNonceRequired(v.verify(await generateProof(es256, URL_, 'POST'), expected));
  });

  it('with freshnessFromNonce accepts a device clock minutes off when the nonce is valid', async () => {
    const { clock, nonces, expected, v: strict } = setup();
    const lenient = verifier({ now: () => clock.ms, freshnessFromNonce: true, nonceLifetimeSeconds: nonces.lifetimeSeconds });
    for (const skewMs of [10 * 60_000, -10 * 60_000]) {
      clock.ms = Date.now() + skewMs; // the server's clock; the device's (Date.now) is 10 minutes off
      const proof = await generateProof(es256, URL_, 'POST', nonces.current());
      await expectInvalid(strict.verify(proof, expected), /too old|future/);
      await expect(lenient.verify(proof, expected)).resolves.toHaveProperty('jkt');
      await expectInvalid(lenient.verify(proof, expected), /already used/);
    }
    // Without a nonce requirement on the call, the iat check applies as before.
    await expectInvalid(lenient.verify(await generateProof(es256, URL_, 'POST'), ALL), /future/);
  });

  it('with freshnessFromNonce keeps proofs in the replay cache for the nonce lifetime', async () => {
    const { clock, nonces, expected } = setup();
    const lenient = verifier({ now: () => clock.ms, freshnessFromNonce: true, nonceLifetimeSeconds: 120, maxAgeSeconds: 10 });
    clock.ms = Math.floor(clock.ms / 30_000) * 30_000 + 1_000; // early in a nonce window
    const proof = await generateProof(es256, URL_, 'POST', nonces.current());
    await lenient.verify(proof, expected);
    clock.ms += 45_000; // past max age + tolerance (15 s), the nonce still valid (previous window)
    await expectInvalid(lenient.verify(proof, expected), /already used/);
    expect(() => verifier({ freshnessFromNonce: true })).toThrow(RangeError);
  });
});
