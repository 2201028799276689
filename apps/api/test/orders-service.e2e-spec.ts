import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from '../../../test/support/wait-for.js';
import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { generateKeyPair as generateDpopKeyPair, generateProof } from 'dpop';
import { SignJWT } from 'jose';
import type { TokenResponse } from '@app/auth';
import { freePort } from '../../../bench/support/server-process.js';
import { startApiProcess, type ApiProcess } from '../../../test/support/app-process.js';
import { scratchDatabase, type ScratchDatabase } from './support/test-api.js';

// API.md § Revocation outside the API, end to end and as a user would do it: the verifier
// package is packed (npm pack), installed into a copy of examples/orders-service with npm, and
// that service runs as its own process against a real API process (ES256, feed on).

const run = promisify(execFile);
const FEED_TOKEN = 'orders-service-e2e-feed-token-0123456789abcdef';
const ISSUER = 'https://auth.e2e.test';
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('orders-service with the packed verifier (e2e)', () => {
  let workDir: string;
  let database: ScratchDatabase;
  let api: ApiProcess;
  let apiEnv: Record<string, string>;
  let packedFiles: string[];
  let orders: { url: string; child: ChildProcess; output: () => string };

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'orders-service-e2e-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', workDir], { cwd: resolve('libs/verifier') });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    packedFiles = packed!.files.map((file) => file.path);
    const tarball = join(workDir, packed!.filename);
    const appDir = join(workDir, 'orders-service');
    cpSync(resolve('examples/orders-service'), appDir, { recursive: true, filter: (source) => !source.includes('node_modules') });
    // As its README says: --no-save, so the tracked package.json is not rewritten.
    await run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], { cwd: appDir });
    expect(readFileSync(join(appDir, 'package.json'), 'utf8')).toBe(readFileSync('examples/orders-service/package.json', 'utf8'));
    expect(readFileSync('examples/orders-service/README.md', 'utf8')).toContain('npm install --no-save ../../libs/verifier/');

    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    database = await scratchDatabase();
    apiEnv = {
      DATABASE_URL: database.url,
      JWT_PRIVATE_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      JWT_ISSUER: ISSUER,
      REVOCATION_FEED_TOKEN: FEED_TOKEN,
      LOGIN_RATE_LIMIT: '1000/15m',
      // The followed process hears of others' revocations by its sync at the slowest: the feed
      // must not wait for it.
      REVOCATION_SYNC_INTERVAL: '1h',
    };
    api = await startApiProcess(apiEnv);
    orders = await startOrdersService(appDir, { AUTH_URL: api.url, AUTH_ISSUER: ISSUER, REVOCATION_FEED_TOKEN: FEED_TOKEN });
  }, 180_000);

  afterAll(async () => {
    if (orders && orders.child.exitCode === null) {
      const exited = new Promise((done) => orders.child.once('exit', done));
      orders.child.kill('SIGTERM');
      await exited;
    }
    await api?.stop();
    await database?.remove();
    rmSync(workDir, { recursive: true, force: true });
  });

  async function startOrdersService(cwd: string, env: Record<string, string>) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, ['server.js'], {
      cwd,
      env: { PATH: process.env.PATH, ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    const started = Date.now();
    // Ready when it answers and the verifier has heard from the feed (it fails closed, 503, before).
    while (Date.now() - started < 20_000) {
      if (child.exitCode !== null) throw new Error(`orders-service exited: ${output}`);
      if (output.includes('following the revocation feed')) break;
      await sleep(50);
    }
    if (!output.includes('following the revocation feed')) throw new Error(`orders-service did not start: ${output}`);
    return { url, child, output: () => output };
  }

  async function signIn(dpop?: Awaited<ReturnType<typeof generateDpopKeyPair>>): Promise<TokenResponse> {
    const email = `orders-${randomUUID()}@example.com`;
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${api.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    expect((await post('/auth/register', { email, password: 'password-123' })).status).toBe(201);
    const proof = dpop ? { dpop: await generateProof(dpop, `${api.url}/auth/login`, 'POST') } : undefined;
    const response = await post('/auth/login', { email, password: 'password-123', device: { name: 'Phone' } }, proof);
    expect(response.status).toBe(200);
    return (await response.json()) as TokenResponse;
  }

  const listOrders = (authorization?: string, extra: Record<string, string> = {}) =>
    fetch(`${orders.url}/orders`, { headers: { ...(authorization ? { authorization } : {}), ...extra } });

  it('packs only the built package: no sources, no tests, no NestJS dependency', () => {
    expect(packedFiles).toContain('dist/index.js');
    expect(packedFiles).toContain('dist/index.d.ts');
    expect(packedFiles.filter((path) => !path.startsWith('dist/')).sort()).toEqual(['README.md', 'package.json']);
    const installed = JSON.parse(readFileSync(join(workDir, 'orders-service/node_modules/@device-auth/verifier/package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(installed.dependencies)).toEqual(['jose']);
  });

  it('ships the verification core: @device-auth/verifier/core imports from the installed tarball', async () => {
    expect(packedFiles).toEqual(expect.arrayContaining(['dist/core/index.js', 'dist/core/index.d.ts']));
    const probe =
      "import('@device-auth/verifier/core').then((core) => console.log(JSON.stringify([typeof core.AccessTokenChecker, typeof core.DpopProofChecker, core.normaliseHtu('https://A.test:443/%7e')])))";
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: join(workDir, 'orders-service') });
    expect(JSON.parse(stdout)).toEqual(['function', 'function', 'https://a.test/~']);
  });

  it('accepts a live access token and knows whose it is', async () => {
    const tokens = await signIn();
    const response = await listOrders(`Bearer ${tokens.access_token}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ userId: expect.any(String), deviceId: tokens.device_id, orders: [] });
  });

  it('refuses forged tokens: another key, alg none, HS256 keyed with the public key, another issuer, no token', async () => {
    const tokens = await signIn();
    const [headerPart, payloadPart] = tokens.access_token.split('.') as [string, string];
    const header = JSON.parse(Buffer.from(headerPart, 'base64url').toString()) as Record<string, unknown>;
    const payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString()) as Record<string, unknown>;
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const { privateKey: otherKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwks = (await (await fetch(`${api.url}/.well-known/jwks.json`)).json()) as { keys: object[] };
    const hsInput = `${encode({ ...header, alg: 'HS256' })}.${payloadPart}`;
    const forged = [
      await new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(otherKey),
      `${encode({ ...header, alg: 'none' })}.${payloadPart}.`,
      `${hsInput}.${createHmac('sha256', JSON.stringify(jwks.keys[0])).update(hsInput).digest('base64url')}`,
      `${headerPart}.${encode({ ...payload, iss: 'https://evil.test' })}.${tokens.access_token.split('.')[2]}`,
    ];
    for (const token of forged) {
      const response = await listOrders(`Bearer ${token}`);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    }
    expect((await listOrders()).status).toBe(401);
    // The genuine token still works.
    expect((await listOrders(`Bearer ${tokens.access_token}`)).status).toBe(200);
  });

  it('refuses a device revoked through the API, while other devices keep working', async () => {
    const revoked = await signIn();
    const bystander = await signIn();
    expect((await listOrders(`Bearer ${revoked.access_token}`)).status).toBe(200);
    const logout = await fetch(`${api.url}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${revoked.access_token}` } });
    expect(logout.status).toBe(204);
    // Polled within a generous deadline: the revocation's spread is the benchmark's figure.
    await waitFor(async () => (await listOrders(`Bearer ${revoked.access_token}`)).status === 401, {
      what: 'orders-service refusing the token',
    });
    expect((await listOrders(`Bearer ${bystander.access_token}`)).status).toBe(200);
  });

  it('refuses a device revoked through another API process (the one it follows has not synced yet)', async () => {
    const other = await startApiProcess({ ...apiEnv, MIGRATIONS_RUN: 'false' });
    try {
      const tokens = await signIn();
      expect((await listOrders(`Bearer ${tokens.access_token}`)).status).toBe(200);
      const logout = await fetch(`${other.url}/auth/logout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expect(logout.status).toBe(204);
      await waitFor(async () => (await listOrders(`Bearer ${tokens.access_token}`)).status === 401, {
        what: 'orders-service refusing the token',
      });
    } finally {
      await other.stop();
    }
  });

  it('accepts a DPoP-bound token only with a proof by its key', async () => {
    const key = await generateDpopKeyPair('ES256');
    const tokens = await signIn(key);
    expect(tokens.token_type).toBe('DPoP');
    const proof = await generateProof(key, `${orders.url}/orders`, 'GET', undefined, tokens.access_token);
    expect((await listOrders(`DPoP ${tokens.access_token}`, { dpop: proof })).status).toBe(200);
    expect((await listOrders(`Bearer ${tokens.access_token}`)).status).toBe(401);
    const replayed = await listOrders(`DPoP ${tokens.access_token}`, { dpop: proof });
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/);
  });

  it('the feed itself refuses a missing or wrong REVOCATION_FEED_TOKEN', async () => {
    expect((await fetch(`${api.url}/revocations`)).status).toBe(401);
    expect((await fetch(`${api.url}/revocations`, { headers: { authorization: 'Bearer wrong-token' } })).status).toBe(401);
    expect((await fetch(`${api.url}/revocations`, { headers: { authorization: `Bearer ${FEED_TOKEN}` } })).status).toBe(200);
  });

  it('never logs a token', () => {
    expect(orders.output()).not.toMatch(/eyJ/);
  });
});
