import { spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { TokenResponse } from '@app/auth';
import { KeySealer } from '@app/keys';
import { openDataSource } from '@app/persistence';
import { AppConfig } from '@app/platform';
import { createVerifier, type DeviceAuthVerifier } from '@device-auth/verifier';
import { startApiCluster, startApiProcess, type ApiCluster, type ApiProcess } from '../../../test/support/app-process.js';
import { testPostgresUrl } from '../../../test/support/scratch-database.js';
import { sleep, waitFor } from '../../../test/support/wait-for.js';
import { WebhookReceiver } from '../../../test/support/webhook-receiver.js';

// API.md § Signing keys and their rotation: managed ES256 keys, published ahead of use, retired
// after their last token expired, and the emergency revocation. Real API processes, the real
// `npm run keys` command, and verifiers outside: jose's createRemoteJWKSet with its default
// options, and this project's verifier package.

const KEY_ENCRYPTION_SECRET = 'e2e-key-encryption-secret-of-at-least-32-bytes';
const FEED_TOKEN = 'revocation-feed-token-for-the-signing-keys-suite';
const WEBHOOK_SECRET = 'webhook-secret-for-the-signing-keys-suite-0123';
const ISSUER = 'device-auth';
const AUDIENCE = 'device-auth-api';
const MANAGED = {
  JWT_SECRET: '',
  KEY_ENCRYPTION_SECRET,
  REVOCATION_FEED_TOKEN: FEED_TOKEN,
  LOGIN_RATE_LIMIT: '1000/15m',
  REGISTER_RATE_LIMIT: '100000/1h',
};

interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm run keys -- …` as an operator runs it (the built CLI), with the apps' environment. */
function keysCommand(databaseUrl: string, ...args: string[]): Promise<CommandResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [resolve('dist/apps/cli/src/main.js'), 'keys', ...args], {
      env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: databaseUrl, KEY_ENCRYPTION_SECRET, JWT_SECRET: '', JWKS_MAX_AGE: '1s' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', fail);
    child.once('exit', (code) => done({ code, stdout, stderr }));
  });
}

/** The kids the command's table lists, with their states. */
function listedKeys(stdout: string): { kid: string; state: string }[] {
  return stdout
    .split('\n')
    .filter((line) => line.includes('\t') && !line.startsWith('kid\t'))
    .map((line) => {
      const [kid, state] = line.split('\t');
      return { kid: kid!, state: state! };
    });
}

const post = (base: string, path: string, body: unknown) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const me = (base: string, token: string) => fetch(`${base}/me`, { headers: { authorization: `Bearer ${token}` } });

let counter = 0;
async function signIn(base: string): Promise<TokenResponse> {
  const email = `keys-${Date.now()}-${++counter}@example.com`;
  expect((await post(base, '/auth/register', { email, password: 'password-123' })).status).toBe(201);
  const response = await post(base, '/auth/login', { email, password: 'password-123', device: { name: 'Phone' } });
  expect(response.status).toBe(200);
  return (await response.json()) as TokenResponse;
}

async function refresh(base: string, refreshToken: string): Promise<TokenResponse> {
  const response = await post(base, '/auth/refresh', { grant_type: 'refresh_token', refresh_token: refreshToken });
  expect(response.status).toBe(200);
  return (await response.json()) as TokenResponse;
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid as string;

async function publishedKids(base: string): Promise<string[]> {
  const body = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
  return body.keys.map((key) => key.kid);
}

/** Every stored column of every signing key, as the database returns them (SQLite or PostgreSQL). */
async function storedKeyRows(databaseUrl: string): Promise<Record<string, unknown>[]> {
  const dataSource = await openDataSource(AppConfig.fromEnv({ DATABASE_URL: databaseUrl, KEY_ENCRYPTION_SECRET, MIGRATIONS_RUN: 'false' }));
  try {
    return (await dataSource.query('SELECT * FROM signing_keys')) as Record<string, unknown>[];
  } finally {
    await dataSource.destroy();
  }
}

describe('managed signing keys (two API processes)', () => {
  let cluster: ApiCluster;
  let a: ApiProcess;
  let b: ApiProcess;
  const webhook = new WebhookReceiver(WEBHOOK_SECRET);

  beforeAll(async () => {
    await webhook.start();
    cluster = await startApiCluster(2, {
      ...MANAGED,
      JWKS_MAX_AGE: '1s',
      SECURITY_WEBHOOK_URL: webhook.url,
      SECURITY_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
    [a, b] = cluster.processes as [ApiProcess, ApiProcess];
  });

  afterAll(async () => {
    await cluster?.stop();
    await webhook.close();
  });

  it('signs ES256 with the current key, publishes the next one ahead of use, with Cache-Control and an ETag', async () => {
    const tokens = await signIn(a.url);
    const header = decodeProtectedHeader(tokens.access_token);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    const jwks = await fetch(`${b.url}/.well-known/jwks.json`);
    expect(jwks.headers.get('cache-control')).toBe('public, max-age=1');
    const etag = jwks.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const { keys } = (await jwks.json()) as { keys: Record<string, string>[] };
    // The current key and its successor, both public: `kid`, `alg`, `use`, never `d`.
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(key).not.toHaveProperty('d');
    }
    expect(keys.map((key) => key.kid)).toContain(header.kid);
    // Both processes publish the same set and sign with the same key.
    expect(await publishedKids(a.url)).toEqual(keys.map((key) => key.kid));
    expect(kidOf((await signIn(b.url)).access_token)).toBe(header.kid);
    // A client holding the set revalidates for a 304.
    const again = await fetch(`${a.url}/.well-known/jwks.json`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect((await fetch(`${a.url}/.well-known/jwks.json`, { headers: { 'if-none-match': '"other"' } })).status).toBe(200);
  });

  it('stores no private key in clear: only sealed under KEY_ENCRYPTION_SECRET, bound to its kid', async () => {
    const rows = await storedKeyRows(cluster.database.url);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const sealer = new KeySealer(Buffer.from(KEY_ENCRYPTION_SECRET));
    const wrongSealer = new KeySealer(Buffer.from('another-key-encryption-secret-of-32-bytes!!'));
    const everything = JSON.stringify(rows);
    for (const row of rows) {
      const kid = row.kid as string;
      const der = sealer.open(kid, row.sealed_private_key as string);
      expect(der).not.toBeNull();
      expect(wrongSealer.open(kid, row.sealed_private_key as string)).toBeNull();
      expect(sealer.open('another-kid', row.sealed_private_key as string)).toBeNull();
      // The private scalar appears nowhere in what is stored, in any usual spelling.
      const { d } = createPrivateKey({ key: der!, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' }) as { d: string };
      const scalar = Buffer.from(d, 'base64url');
      for (const spelling of [d, scalar.toString('hex'), scalar.toString('base64')]) expect(everything).not.toContain(spelling);
      expect(everything).not.toContain('PRIVATE KEY');
      if (cluster.database.kind === 'sqlite') {
        const path = cluster.database.url.slice('sqlite:'.length);
        for (const file of [path, `${path}-wal`]) {
          try {
            expect(readFileSync(file).includes(scalar)).toBe(false);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          }
        }
      }
    }
  });

  it('an emergency revoke: both processes and the verifier package refuse its tokens; sessions recover by refreshing', async () => {
    const onA = await signIn(a.url);
    const onB = await signIn(b.url);
    const revokedKid = kidOf(onA.access_token);
    expect(kidOf(onB.access_token)).toBe(revokedKid);
    const verifier: DeviceAuthVerifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: `${a.url}/.well-known/jwks.json`,
      feed: { url: `${a.url}/revocations`, token: FEED_TOKEN },
    });
    try {
      await verifier.ready();
      // A follower of the feed, held in a long poll from a cursor that has seen no revoked key.
      const start = (await (await fetch(`${b.url}/revocations`, { headers: { authorization: `Bearer ${FEED_TOKEN}` } })).json()) as {
        revokedKeys: unknown[];
        cursor: string;
      };
      expect(start.revokedKeys).toEqual([]);
      const held = fetch(`${b.url}/revocations?after=${start.cursor}&wait=30`, { headers: { authorization: `Bearer ${FEED_TOKEN}` } }).then(
        async (response) => ({ at: Date.now(), body: (await response.json()) as { revokedKeys: { kid: string }[]; cursor: string } }),
      );
      await sleep(300);
      await verifier.verifyRequest({
        authorization: `Bearer ${onA.access_token}`,
        dpop: undefined,
        method: 'GET',
        url: 'http://orders.test/orders',
      });

      const revokedAt = Date.now();
      const revoked = await keysCommand(cluster.database.url, 'revoke', revokedKid);
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toContain(`Revoked ${revokedKid}`);
      const states = listedKeys(revoked.stdout);
      expect(states.find((key) => key.kid === revokedKid)?.state).toBe('revoked');
      const successor = states.find((key) => key.state === 'current')?.kid;
      expect(successor).toBeDefined();

      // Refused everywhere within the revocation spread (here: the 1 s sync on SQLite, the push on PostgreSQL).
      for (const [base, token] of [
        [a.url, onA.access_token],
        [b.url, onA.access_token],
        [a.url, onB.access_token],
        [b.url, onB.access_token],
      ] as const)
        await waitFor(async () => (await me(base, token)).status === 401, {
          timeoutMs: 5_000,
          what: `a 401 for the revoked key's token on ${base}`,
        });
      await waitFor(
        () =>
          verifier
            .verifyRequest({
              authorization: `Bearer ${onB.access_token}`,
              dpop: undefined,
              method: 'GET',
              url: 'http://orders.test/orders',
            })
            .then(
              () => false,
              () => true,
            ),
        { timeoutMs: 5_000, what: "the verifier package refusing the revoked key's token" },
      );
      const feed = (await (await fetch(`${a.url}/revocations`, { headers: { authorization: `Bearer ${FEED_TOKEN}` } })).json()) as {
        revokedKeys: { kid: string; revokedAt: string }[];
      };
      expect(feed.revokedKeys).toEqual([{ kid: revokedKid, revokedAt: expect.stringMatching(/Z$/) }]);
      // The held request answered with the key well before its 30 s; its cursor holds the next one until something new.
      const answered = await held;
      expect(answered.body.revokedKeys.map((key) => key.kid)).toEqual([revokedKid]);
      expect(answered.at - revokedAt).toBeLessThan(10_000);
      const quiet = await fetch(`${b.url}/revocations?after=${answered.body.cursor}&wait=1`, {
        headers: { authorization: `Bearer ${FEED_TOKEN}` },
      });
      expect(((await quiet.json()) as { revokedKeys: unknown[] }).revokedKeys).toHaveLength(1);
      // The webhook tells the product (no account concerned: userId null, the key's kid).
      await waitFor(() => webhook.payloads.some((payload) => payload.type === 'signing_key_revoked'), {
        what: 'the signing_key_revoked webhook',
      });
      expect(webhook.payloads.find((payload) => payload.type === 'signing_key_revoked')).toMatchObject({
        type: 'signing_key_revoked',
        userId: null,
        keyId: revokedKid,
        actor: 'operator',
      });
      expect(webhook.received.every((request) => request.signatureValid)).toBe(true);
      expect(await publishedKids(a.url)).not.toContain(revokedKid);
      expect(await publishedKids(b.url)).not.toContain(revokedKid);

      // Nobody is signed out: each session refreshes to a token of the successor, good everywhere.
      for (const [base, tokens] of [
        [a.url, onA],
        [b.url, onB],
      ] as const) {
        const renewed = await refresh(base, tokens.refresh_token);
        expect(kidOf(renewed.access_token)).toBe(successor);
        expect((await me(a.url, renewed.access_token)).status).toBe(200);
        expect((await me(b.url, renewed.access_token)).status).toBe(200);
        await verifier.verifyRequest({
          authorization: `Bearer ${renewed.access_token}`,
          dpop: undefined,
          method: 'GET',
          url: 'http://orders.test/orders',
        });
      }

      // Revoking it again, or a kid that does not exist, changes nothing and says so.
      const again = await keysCommand(cluster.database.url, 'revoke', revokedKid);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('Nothing changed');
      expect((await keysCommand(cluster.database.url, 'revoke')).code).toBe(2);
    } finally {
      await verifier.close();
    }
  });

  it('keeps its keys across a restart: a token issued before verifies after', async () => {
    const tokens = await signIn(a.url);
    await a.stop();
    a = await startApiProcess({ DATABASE_URL: cluster.database.url, ...MANAGED, JWKS_MAX_AGE: '1s' });
    cluster.processes[0] = a;
    expect((await me(a.url, tokens.access_token)).status).toBe(200);
    expect(kidOf((await signIn(a.url)).access_token)).toBe(kidOf(tokens.access_token));
  });

  it('refuses to start with a KEY_ENCRYPTION_SECRET that does not open the stored keys', async () => {
    await expect(
      startApiProcess({
        DATABASE_URL: cluster.database.url,
        ...MANAGED,
        KEY_ENCRYPTION_SECRET: 'a-different-secret-of-at-least-32-bytes!!',
      }),
    ).rejects.toThrow(/does not open with this KEY_ENCRYPTION_SECRET/);
  });
});

// The rotation takes JWKS_MAX_AGE plus one minute per new key (the contract), so it runs on
// SQLite only; the emergency above runs on both databases.
const onSqlite = testPostgresUrl() ? describe.skip : describe;

onSqlite('rotation seen by an outside verifier (jose createRemoteJWKSet, default options)', () => {
  let cluster: ApiCluster;

  beforeAll(async () => {
    cluster = await startApiCluster(2, { ...MANAGED, JWKS_MAX_AGE: '1s', ACCESS_TOKEN_TTL: '3s' });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('rotates twice with zero verification failures; each kid published ahead of its first token, the retired key gone after its last', async () => {
    const [a, b] = cluster.processes as [ApiProcess, ApiProcess];
    const jwks = createRemoteJWKSet(new URL(`${a.url}/.well-known/jwks.json`));
    const firstPublished = new Map<string, number>();
    const lastPublished = new Map<string, number>();
    const firstToken = new Map<string, number>();
    const lastExpiry = new Map<string, number>();
    const failures: string[] = [];
    let verified = 0;
    let running = true;

    const watchKeySet = (async () => {
      while (running) {
        const now = Date.now();
        for (const kid of await publishedKids(b.url)) {
          if (!firstPublished.has(kid)) firstPublished.set(kid, now);
          lastPublished.set(kid, now);
        }
        await sleep(100);
      }
    })();
    const sessions = await Promise.all([signIn(a.url), signIn(b.url)]);
    const refreshLoop = (async () => {
      for (let turn = 0; running; turn++) {
        const index = turn % 2;
        const base = index === 0 ? a.url : b.url;
        let tokens: TokenResponse;
        try {
          tokens = await refresh(base, sessions[index]!.refresh_token);
        } catch (error) {
          failures.push(`refresh on ${base}: ${(error as Error).message}`);
          running = false;
          break;
        }
        sessions[index] = tokens;
        const kid = kidOf(tokens.access_token);
        if (!firstToken.has(kid)) firstToken.set(kid, Date.now());
        try {
          const { payload } = await jwtVerify(tokens.access_token, jwks, {
            issuer: ISSUER,
            audience: AUDIENCE,
            typ: 'at+jwt',
            algorithms: ['ES256'],
          });
          lastExpiry.set(kid, Math.max(lastExpiry.get(kid) ?? 0, (payload.exp as number) * 1000));
          verified++;
        } catch (error) {
          failures.push(`${kid}: ${(error as Error).message}`);
        }
        await sleep(150);
      }
    })();

    try {
      await waitFor(() => firstToken.size === 1, { what: 'a first token' });
      const [firstKid] = firstToken.keys();
      const first = await keysCommand(cluster.database.url, 'rotate');
      expect(first.code).toBe(0);
      const secondKid = /Key (\S+) signs from/.exec(first.stdout)?.[1];
      expect(secondKid).toBeDefined();
      await waitFor(() => firstToken.has(secondKid!), { timeoutMs: 90_000, what: `a token of ${secondKid}` });
      const second = await keysCommand(cluster.database.url, 'rotate');
      expect(second.code).toBe(0);
      const thirdKid = /Key (\S+) signs from/.exec(second.stdout)?.[1];
      expect(thirdKid).toBeDefined();
      expect(new Set([firstKid, secondKid, thirdKid]).size).toBe(3);
      await waitFor(() => firstToken.has(thirdKid!), { timeoutMs: 90_000, what: `a token of ${thirdKid}` });
      // The first key leaves the set once its last token has expired (plus the clock tolerance).
      await waitFor(async () => !(await publishedKids(a.url)).includes(firstKid!), { timeoutMs: 30_000, what: `${firstKid} unpublished` });
      const goneAt = Date.now();
      running = false;
      await Promise.all([watchKeySet, refreshLoop]);

      expect(failures).toEqual([]);
      expect(verified).toBeGreaterThan(20);
      for (const kid of [secondKid!, thirdKid!]) {
        // Published at least JWKS_MAX_AGE (1 s) before any process signed with it.
        expect(firstToken.get(kid)! - firstPublished.get(kid)!).toBeGreaterThanOrEqual(1_000);
      }
      // Still published when its last token expired; gone afterwards.
      expect(lastPublished.get(firstKid!)!).toBeGreaterThanOrEqual(lastExpiry.get(firstKid!)! - 200);
      expect(goneAt).toBeGreaterThan(lastExpiry.get(firstKid!)!);
    } finally {
      running = false;
      await Promise.allSettled([watchKeySet, refreshLoop]);
    }
  }, 180_000);
});
