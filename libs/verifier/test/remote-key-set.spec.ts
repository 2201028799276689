import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK } from 'jose';
import { RemoteKeySet } from '../src/remote-key-set.js';

// How the package fetches and caches the API's JWK set (API.md § Signing keys and their
// rotation): for the set's max-age, again at once on an unknown kid (at most every 30 s), and
// the set held goes on serving while a fetch fails.

async function keyPair(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const sign = () => new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey);
  return { jwk, sign };
}

function server(maxAge: number | null) {
  const state = { keys: [] as JWK[], fetches: 0, fail: false };
  const fetchImplementation = (async () => {
    state.fetches++;
    if (state.fail) return new Response('down', { status: 503 });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (maxAge !== null) headers['cache-control'] = `public, max-age=${maxAge}`;
    return new Response(JSON.stringify({ keys: state.keys }), { headers });
  }) as typeof fetch;
  return { state, fetchImplementation };
}

describe('RemoteKeySet', () => {
  it("keeps the set for the server's max-age, then fetches it again", async () => {
    const first = await keyPair('one');
    const { state, fetchImplementation } = server(60);
    state.keys = [first.jwk];
    let now = 1_000_000;
    const set = new RemoteKeySet(new URL('https://auth.test/jwks'), fetchImplementation, () => now);
    await jwtVerify(await first.sign(), set.getKey);
    now += 59_000;
    await jwtVerify(await first.sign(), set.getKey);
    expect(state.fetches).toBe(1);
    now += 2_000;
    await jwtVerify(await first.sign(), set.getKey);
    expect(state.fetches).toBe(2);
  });

  it('fetches again at once for an unknown kid, but at most once per 30 s', async () => {
    const first = await keyPair('one');
    const second = await keyPair('two');
    const stranger = await keyPair('made-up');
    const { state, fetchImplementation } = server(3600);
    state.keys = [first.jwk];
    let now = 1_000_000;
    const set = new RemoteKeySet(new URL('https://auth.test/jwks'), fetchImplementation, () => now);
    await jwtVerify(await first.sign(), set.getKey);
    now += 31_000;
    state.keys = [first.jwk, second.jwk];
    await jwtVerify(await second.sign(), set.getKey);
    expect(state.fetches).toBe(2);
    // Made-up kids right after: refused without another fetch.
    for (let i = 0; i < 5; i++) await expect(jwtVerify(await stranger.sign(), set.getKey)).rejects.toThrow();
    expect(state.fetches).toBe(2);
    now += 30_000;
    await expect(jwtVerify(await stranger.sign(), set.getKey)).rejects.toThrow();
    expect(state.fetches).toBe(3);
  });

  it('goes on with the set it holds while the server fails, and retries', async () => {
    const first = await keyPair('one');
    const { state, fetchImplementation } = server(10);
    state.keys = [first.jwk];
    let now = 1_000_000;
    const set = new RemoteKeySet(new URL('https://auth.test/jwks'), fetchImplementation, () => now);
    await jwtVerify(await first.sign(), set.getKey);
    state.fail = true;
    now += 11_000;
    await jwtVerify(await first.sign(), set.getKey);
    expect(state.fetches).toBe(2);
    // Not again within the retry pause, then again after it.
    await jwtVerify(await first.sign(), set.getKey);
    expect(state.fetches).toBe(2);
    now += 6_000;
    state.fail = false;
    await jwtVerify(await first.sign(), set.getKey);
    expect(state.fetches).toBe(3);
  });

  it('without a set at all, a failed fetch refuses the token', async () => {
    const first = await keyPair('one');
    const { state, fetchImplementation } = server(10);
    state.fail = true;
    const set = new RemoteKeySet(new URL('https://auth.test/jwks'), fetchImplementation, () => 1_000_000);
    await expect(jwtVerify(await first.sign(), set.getKey)).rejects.toThrow(/503/);
  });
});
