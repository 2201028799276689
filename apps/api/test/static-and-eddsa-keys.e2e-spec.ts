import { decodeProtectedHeader } from 'jose';
import type { TokenResponse } from '@app/auth';
import { startApiProcess, type ApiProcess } from '../../../test/support/app-process.js';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/scratch-database.js';

// API.md § Signing keys and their rotation: JWT_PREVIOUS_SECRET keeps an old static HS256 secret
// good for verification (never signing), and JWT_ALG=EdDSA makes managed keys Ed25519.

const OLD_SECRET = 'the-old-static-secret-of-at-least-32-bytes!!';
const NEW_SECRET = 'the-new-static-secret-of-at-least-32-bytes!!';
const LIMITS = { LOGIN_RATE_LIMIT: '1000/15m', REGISTER_RATE_LIMIT: '100000/1h' };

const post = (base: string, path: string, body: unknown) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const me = async (base: string, token: string) => (await fetch(`${base}/me`, { headers: { authorization: `Bearer ${token}` } })).status;

let counter = 0;
async function signIn(base: string): Promise<TokenResponse> {
  const email = `static-${Date.now()}-${++counter}@example.com`;
  expect((await post(base, '/auth/register', { email, password: 'password-123' })).status).toBe(201);
  const response = await post(base, '/auth/login', { email, password: 'password-123', device: { name: 'Phone' } });
  expect(response.status).toBe(200);
  return (await response.json()) as TokenResponse;
}

describe('static keys: changing JWT_SECRET with JWT_PREVIOUS_SECRET (e2e)', () => {
  let database: ScratchDatabase;
  const processes: ApiProcess[] = [];

  beforeAll(async () => {
    database = await scratchDatabase();
  });

  afterAll(async () => {
    await Promise.all(processes.map((process) => process.stop()));
    await database.remove();
  });

  it("accepts the old secret's tokens for verification only, and refuses them once it is removed", async () => {
    const old = await startApiProcess({ DATABASE_URL: database.url, JWT_SECRET: OLD_SECRET, ...LIMITS });
    processes.push(old);
    const before = await signIn(old.url);
    const oldKid = decodeProtectedHeader(before.access_token).kid;
    await old.stop();

    const changed = await startApiProcess({
      DATABASE_URL: database.url,
      JWT_SECRET: NEW_SECRET,
      JWT_PREVIOUS_SECRET: OLD_SECRET,
      ...LIMITS,
    });
    processes.push(changed);
    expect(await me(changed.url, before.access_token)).toBe(200);
    // New tokens are signed with the new secret only; the key set stays empty (secrets are never published).
    const after = await signIn(changed.url);
    expect(decodeProtectedHeader(after.access_token)).toMatchObject({ alg: 'HS256' });
    expect(decodeProtectedHeader(after.access_token).kid).not.toBe(oldKid);
    expect(await (await fetch(`${changed.url}/.well-known/jwks.json`)).json()).toEqual({ keys: [] });
    await changed.stop();

    const done = await startApiProcess({ DATABASE_URL: database.url, JWT_SECRET: NEW_SECRET, ...LIMITS });
    processes.push(done);
    expect(await me(done.url, before.access_token)).toBe(401);
    expect(await me(done.url, after.access_token)).toBe(200);
  });
});

describe('managed keys with JWT_ALG=EdDSA (e2e)', () => {
  let database: ScratchDatabase;
  let api: ApiProcess;

  beforeAll(async () => {
    database = await scratchDatabase();
    api = await startApiProcess({
      DATABASE_URL: database.url,
      JWT_SECRET: '',
      JWT_ALG: 'EdDSA',
      KEY_ENCRYPTION_SECRET: 'eddsa-e2e-key-encryption-secret-32-bytes!!',
      ...LIMITS,
    });
  });

  afterAll(async () => {
    await api?.stop();
    await database.remove();
  });

  it('signs with Ed25519 keys and publishes them as OKP JWKs', async () => {
    const tokens = await signIn(api.url);
    const header = decodeProtectedHeader(tokens.access_token);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    expect(await me(api.url, tokens.access_token)).toBe(200);
    const { keys } = (await (await fetch(`${api.url}/.well-known/jwks.json`)).json()) as { keys: Record<string, string>[] };
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(keys.map((key) => key.kid)).toContain(header.kid);
  });
});
