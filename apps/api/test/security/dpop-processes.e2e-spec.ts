import { generateKeyPair, generateProof, type KeyPair } from 'dpop';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TokenResponse } from '@app/auth';
import { startApiCluster, type ApiCluster, type ApiProcess } from '../../../../test/support/app-process.js';
import { waitFor } from '../../../../test/support/wait-for.js';

/**
 * DPoP across real API processes on one database. Each process remembers the proofs (`jti`)
 * it has seen, so a captured proof replayed to another process within its window is accepted
 * there once: the documented residual risk (SECURITY.md). With DPOP_NONCE the window is the
 * nonce's lifetime, by the server's clock, and these tests show both.
 */
const PUBLIC_URL = 'https://auth.example.test';
const PASSWORD = 'correct horse battery';
const SKEWED_CLOCK = pathToFileURL(resolve('apps/api/test/support/skewed-clock.mjs')).href;

async function call(base: string, method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
}

const proofFor = (keys: KeyPair, method: string, path: string, accessToken?: string, nonce?: string) =>
  generateProof(keys, `${PUBLIC_URL}${path}`, method, nonce, accessToken);

async function signInBound(base: string, keys: KeyPair, nonce?: string): Promise<TokenResponse> {
  const email = `dpop-processes-${Date.now()}-${Math.random()}@example.com`;
  expect((await call(base, 'POST', '/auth/register', {}, { email, password: PASSWORD })).status).toBe(201);
  const login = await call(
    base,
    'POST',
    '/auth/login',
    { DPoP: await proofFor(keys, 'POST', '/auth/login', undefined, nonce) },
    {
      email,
      password: PASSWORD,
      device: { name: 'Bound phone' },
    },
  );
  expect(login.status).toBe(200);
  return login.body as TokenResponse;
}

describe('DPoP across processes, without nonces (e2e)', () => {
  let cluster: ApiCluster;
  let first: ApiProcess;
  let second: ApiProcess;

  beforeAll(async () => {
    cluster = await startApiCluster(2, { PUBLIC_URL, REVOCATION_SYNC_INTERVAL: '1s' });
    [first, second] = cluster.processes;
  }, 60_000);

  afterAll(() => cluster?.stop());

  it('refuses a replayed proof on the process that saw it, and accepts it once on another (the documented residual)', async () => {
    const keys = await generateKeyPair('ES256');
    const tokens = await signInBound(first.url, keys);
    const headers = { authorization: `DPoP ${tokens.access_token}`, DPoP: await proofFor(keys, 'GET', '/me', tokens.access_token) };
    expect((await call(first.url, 'GET', '/me', headers)).status).toBe(200);
    expect((await call(first.url, 'GET', '/me', headers)).status).toBe(401);
    expect((await call(second.url, 'GET', '/me', headers)).status).toBe(200);
    expect((await call(second.url, 'GET', '/me', headers)).status).toBe(401);
  });

  it('refuses a revoked bound device on the other process (its 1 s sync)', async () => {
    const keys = await generateKeyPair('ES256');
    const tokens = await signInBound(first.url, keys);
    const logout = await call(first.url, 'POST', '/auth/logout', {
      authorization: `DPoP ${tokens.access_token}`,
      DPoP: await proofFor(keys, 'POST', '/auth/logout', tokens.access_token),
    });
    expect(logout.status).toBe(204);
    // Polls (a fresh proof each time) until the other process stops accepting the token, within a
    // generous deadline: how soon is the benchmark's (figure 8), not this test's.
    const status = await waitFor(
      async () => {
        const headers = { authorization: `DPoP ${tokens.access_token}`, DPoP: await proofFor(keys, 'GET', '/me', tokens.access_token) };
        const { status } = await call(second.url, 'GET', '/me', headers);
        return status === 200 ? false : status;
      },
      { what: 'the other process refusing the revoked bound device' },
    );
    expect(status).toBe(401);
  });
});

describe('DPoP across processes with DPOP_NONCE (e2e)', () => {
  let cluster: ApiCluster;
  let first: ApiProcess;
  let second: ApiProcess;
  let later: ApiProcess;

  beforeAll(async () => {
    // `later` plays the same deployment three minutes from now: a replay that comes that late.
    const later3min = { NODE_OPTIONS: `--import ${SKEWED_CLOCK}`, CLOCK_SKEW_MS: String(3 * 60_000) };
    cluster = await startApiCluster(3, { PUBLIC_URL, DPOP_NONCE: 'true' }, [{}, {}, later3min]);
    [first, second, later] = cluster.processes;
  }, 60_000);

  afterAll(() => cluster?.stop());

  it("takes one process's nonce on another, and bounds a cross-process replay by the nonce's lifetime (2 min)", async () => {
    const keys = await generateKeyPair('ES256');
    const askNonce = await call(
      first.url,
      'POST',
      '/auth/login',
      { DPoP: await proofFor(keys, 'POST', '/auth/login') },
      { email: 'nobody@example.com', password: 'x', device: { name: 'x' } },
    );
    expect(askNonce.body.error).toBe('use_dpop_nonce');
    const nonce = askNonce.headers.get('dpop-nonce') ?? undefined;
    expect(nonce).toBeDefined();
    // A nonce issued by the first process is good on the second: stateless, one key per deployment.
    const tokens = await signInBound(second.url, keys, nonce);

    const headers = { authorization: `DPoP ${tokens.access_token}`, DPoP: await proofFor(keys, 'GET', '/me', tokens.access_token, nonce) };
    expect((await call(first.url, 'GET', '/me', headers)).status).toBe(200);
    // Replayed at once to another process: accepted there once (within the nonce's lifetime)…
    expect((await call(second.url, 'GET', '/me', headers)).status).toBe(200);
    // …but three minutes later the nonce is stale: refused, with a fresh nonce to retry with.
    const late = await call(later.url, 'GET', '/me', headers);
    expect(late.status).toBe(401);
    expect(late.headers.get('www-authenticate')).toBe('DPoP error="use_dpop_nonce", algs="ES256 EdDSA Ed25519"');
    expect(late.headers.get('dpop-nonce')).toBeTruthy();
  });
});
