// `npm run bench`: measures the claim the design rests on (a JWT verified from memory instead
// of a database lookup per request) against the real built apps, started as the README starts
// them, on a scratch database. Prints a table and writes bench/results/latest.json (+ .md).
// Load generator and servers share the machine, so every figure that is compared is a ratio
// of interleaved runs, and the report gives medians of those ratios.
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPair, generateProof, type KeyPair } from 'dpop';
import pg from 'pg';
import { DpopProofVerifier, type TokenResponse } from '@app/auth';
import { AppConfig } from '@app/platform';
import { ApiClient, signAccessToken } from './support/api-client.js';
import { runLoad, type LoadClient, type LoadResult, type LoadSpec } from './support/load.js';
import { probeLatency, type ProbeResult } from './support/latency-probe.js';
import { seedDevices, type Seeded } from './support/seed-devices.js';
import { ServerProcess } from './support/server-process.js';
import { median, round } from './support/stats.js';

/** Production refuses to start without SMTP_URL (API.md § Accounts); nothing is mailed in these runs. */
const PRODUCTION_SMTP_URL = 'smtp://127.0.0.1:2525';

const quick = process.env.BENCH_QUICK === '1';

/** Every loop below is bounded by these counts and durations. */
const SETTINGS = {
  connections: 10,
  warmupS: quick ? 1 : 2,
  runS: quick ? 1 : 2,
  throughputRounds: quick ? 2 : 8,
  /**
   * DPoP proofs made before each DPoP run, per second of it: at least this, and at least 1.5×
   * the fastest DPoP run so far (an exhausted pool would show as 401s).
   */
  dpopProofsPerSecond: 14000,
  /**
   * Bound devices (each its own ES256 key) that the DPoP runs' proofs are spread over, in turn:
   * the replay cache gives one key a bounded share (DpopReplayCache, 429 past it), and the runs
   * within one replay window (65 s) send ~10^5 proofs, so that each key sends a few hundred.
   */
  dpopKeys: 256,
  /**
   * DPOP_REPLAY_CACHE_SIZE of the throughput section's API: the default (100,000) holds 65 s of
   * ~1,500 proofs/s, and the DPoP runs within 65 s send more than that.
   */
  dpopReplayCacheSize: 1_000_000,
  /** Proofs verified in-process to time one verification. */
  proofVerifications: quick ? 500 : 3000,
  refreshSessions: 32,
  refreshRunS: quick ? 2 : 5,
  refreshRounds: quick ? 1 : 5,
  stormLogins: 16,
  stormMeRate: 200,
  stormRunS: quick ? 2 : 5,
  stormRounds: quick ? 1 : 5,
  /** A login loop stops after this many logins even if the run has not ended. */
  stormMaxLoginsPerLoop: 500,
  memorySettleS: 3,
  /** Failed sign-ins timed per kind (existing account, unknown email), one at a time, alternating. */
  failedSignInSamples: quick ? 40 : 200,
  memory: { users: 10_000, devicesPerUser: 10, revokeEvery: 10 },
  /** Revocations timed across two processes, per database. */
  spreadSamples: quick ? 12 : 60,
  /** The whole run gives up (between sections) past this. */
  deadlineS: 12 * 60,
} as const;

const PASSWORD = 'bench-password-123';
/** Keeps emails unique when BENCH_DATABASE_URL points at a database that was used before. */
const RUN_ID = randomBytes(4).toString('hex');
const email = (name: string) => `bench-${RUN_ID}-${name}@example.com`;
const BUILT = fileURLToPath(new URL('..', import.meta.url));
const SCRIPTS = {
  api: join(BUILT, 'apps/api/src/main.js'),
  databaseGuard: join(BUILT, 'bench/database-guard/main.js'),
  bare: join(BUILT, 'bench/bare-server/main.js'),
  twin: join(BUILT, 'bench/public-twin/main.js'),
  // Plain JavaScript, as a service outside would be: run from the source tree.
  outsideService: join(BUILT, '..', 'bench/outside-service/server.js'),
};
const FEED_TOKEN = randomBytes(32).toString('base64url');

interface Context {
  readonly scratch: string;
  readonly databaseUrl: string;
  readonly sqlite: boolean;
  /** A scratch PostgreSQL database for the figures measured on both (null: no server reachable). */
  readonly postgresUrl: string | null;
  readonly secret: string;
  readonly config: AppConfig;
  readonly serverEnv: Record<string, string>;
  readonly deadline: number;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`sanity check failed: ${message}`);
}

function startApi(context: Context, databaseUrl = context.databaseUrl, env: Record<string, string> = {}): Promise<ServerProcess> {
  return ServerProcess.start({
    name: 'api',
    script: SCRIPTS.api,
    cwd: context.scratch,
    env: { ...context.serverEnv, DATABASE_URL: databaseUrl, ...env },
    readyPath: '/health',
  });
}

interface BoundDevice {
  readonly keys: KeyPair;
  readonly accessToken: string;
}

/** Signs in `count` devices of one account, each bound to its own new ES256 key (DPoP), 8 at a time. */
async function signInBound(client: ApiClient, api: ServerProcess, user: string, count: number): Promise<BoundDevice[]> {
  const devices: BoundDevice[] = [];
  for (let i = 0; i < count; i += 8) {
    const batch = Array.from({ length: Math.min(8, count - i) }, async (_, j) => {
      const keys = await generateKeyPair('ES256');
      const proof = await generateProof(keys, `${api.url}/auth/login`, 'POST');
      const tokens = await client.login(user, PASSWORD, `Bench bound phone ${i + j}`, proof);
      check(tokens.token_type === 'DPoP', 'a sign-in with a proof is bound');
      return { keys, accessToken: tokens.access_token };
    });
    devices.push(...(await Promise.all(batch)));
  }
  return devices;
}

/**
 * Registers accounts a few at a time: the API hashes passwords in a fair queue that answers
 * 503 past one client's share (PASSWORD_QUEUE_LIMIT), as it should to a burst from one client.
 */
async function registerAll(client: ApiClient, users: readonly string[]): Promise<void> {
  for (let i = 0; i < users.length; i += 8) await Promise.all(users.slice(i, i + 8).map((user) => client.register(user, PASSWORD)));
}

function summary(results: readonly LoadResult[]) {
  return {
    rps: round(median(results.map((r) => r.rps)), 0),
    p50Ms: median(results.map((r) => r.p50Ms)),
    p99Ms: median(results.map((r) => r.p99Ms)),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    serverCores: round(median(results.map((r) => r.serverCores))),
    clientCores: round(median(results.map((r) => r.clientCores))),
    serverCpuUsPerRequest: round(median(results.map((r) => r.serverCpuUsPerRequest)), 0),
  };
}

function ratioSummary(values: readonly number[]) {
  return {
    median: round(median(values), 3),
    min: round(Math.min(...values), 3),
    max: round(Math.max(...values), 3),
    rounds: values.map((v) => round(v, 3)),
  };
}

// 1–3: interleaved throughput runs of GET /me (API), GET /me-twin (the same handler without
// the guard), GET /me (database-lookup guard, on SQLite and on PostgreSQL) and GET /me (bare
// node:http), all with the same access token (the PostgreSQL app's own, for its database).
async function measureThroughput(context: Context) {
  const api = await startApi(context, context.databaseUrl, { DPOP_REPLAY_CACHE_SIZE: String(SETTINGS.dpopReplayCacheSize) });
  const twin = await ServerProcess.start({
    name: 'public twin',
    script: SCRIPTS.twin,
    cwd: context.scratch,
    env: context.serverEnv,
    readyPath: '/health',
  });
  const postgresGuard = context.postgresUrl
    ? await ServerProcess.start({
        name: 'database guard (PostgreSQL)',
        script: SCRIPTS.databaseGuard,
        cwd: context.scratch,
        env: { ...context.serverEnv, DATABASE_URL: context.postgresUrl },
        readyPath: '/health',
      })
    : null;
  const databaseGuard = await ServerProcess.start({
    name: 'database guard',
    script: SCRIPTS.databaseGuard,
    cwd: context.scratch,
    env: context.serverEnv,
    readyPath: '/health',
  });
  const { jwt } = context.config;
  const bare = await ServerProcess.start({
    name: 'bare node:http',
    script: SCRIPTS.bare,
    cwd: context.scratch,
    env: { JWT_SECRET: context.secret, BENCH_JWT_KID: jwt.id, JWT_ISSUER: jwt.issuer, JWT_AUDIENCE: jwt.audience },
    readyPath: '/health',
  });
  try {
    const client = new ApiClient(api.url);
    await client.register(email('throughput'), PASSWORD);
    const tokens = await client.login(email('throughput'), PASSWORD, 'Bench phone');
    const headers = { authorization: `Bearer ${tokens.access_token}` };
    // More devices of the same account, each bound to its own ES256 key (DPoP): every request
    // carries a fresh proof, made before the run (a proof is good once), as a mobile client makes
    // them, by the devices in turn (SETTINGS.dpopKeys: no key comes near its replay-cache share).
    const bound = await signInBound(client, api, email('throughput'), SETTINGS.dpopKeys);
    /** `count` requests' headers: the token of device i mod n and a fresh proof by its key. */
    const dpopProofs = (count: number) =>
      Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const device = bound[i % bound.length];
          return {
            authorization: `DPoP ${device.accessToken}`,
            dpop: await generateProof(device.keys, `${api.url}/me`, 'GET', undefined, device.accessToken),
          };
        }),
      );

    // Each target answers as it should before anything is timed.
    check((await client.status('/me', tokens.access_token)) === 200, 'API GET /me is 200');
    check((await new ApiClient(twin.url).status('/me-twin')) === 200, 'public twin GET /me-twin is 200 without a token');
    let postgresHeaders: Record<string, string> = {};
    if (postgresGuard) {
      const postgresClient = new ApiClient(postgresGuard.url);
      await postgresClient.register(email('throughput'), PASSWORD);
      const postgresTokens = await postgresClient.login(email('throughput'), PASSWORD, 'Bench phone');
      postgresHeaders = { authorization: `Bearer ${postgresTokens.access_token}` };
      check((await postgresClient.status('/me', postgresTokens.access_token)) === 200, 'PostgreSQL database guard GET /me is 200');
      check((await postgresClient.status('/me', tokens.access_token)) === 401, 'PostgreSQL database guard looks the device up');
    }
    const [probe, otherKey] = await dpopProofs(2);
    check((await client.status('/me', undefined, probe)) === 200, 'API GET /me with DPoP is 200');
    check((await client.status('/me', undefined, probe)) === 401, 'a replayed proof is 401');
    check(
      (await client.status('/me', undefined, { authorization: probe.authorization, dpop: otherKey.dpop })) === 401,
      "a proof by another device's key is 401",
    );
    check((await new ApiClient(databaseGuard.url).status('/me', tokens.access_token)) === 200, 'database guard GET /me is 200');
    check((await new ApiClient(bare.url).status('/me', tokens.access_token)) === 200, 'bare GET /me is 200');
    check((await new ApiClient(bare.url).status('/me', `${tokens.access_token}x`)) === 401, 'bare GET /me refuses a bad signature');
    // What the two designs trust: a correctly signed token for a device that is not in the
    // database passes the JWT guard (nothing revoked it) and fails the database guard.
    const unknownDevice = signAccessToken(context.config, randomUUID(), randomUUID());
    const trustsToken = (await client.status('/me', unknownDevice)) === 200;
    const looksUp = (await new ApiClient(databaseGuard.url).status('/me', unknownDevice)) === 401;
    check(trustsToken && looksUp, 'a signed token for an unknown device: API 200, database guard 401');

    // Proofs for one DPoP run: more than the run can use (an exhausted pool would show as 401s).
    let dpopFastest = 0;
    const dpopSpec = async (durationS: number): Promise<Partial<LoadSpec>> => {
      const pool = await dpopProofs(Math.ceil(durationS * Math.max(SETTINGS.dpopProofsPerSecond, 1.5 * dpopFastest)));
      let next = 0;
      return {
        setupClient: (loadClient: LoadClient) =>
          loadClient.setRequests([
            { method: 'GET', path: '/me', setupRequest: (request) => ({ ...request, headers: pool[next++ % pool.length] }) },
          ]),
      };
    };
    type Key = 'me' | 'twin' | 'dpop' | 'databaseGuard' | 'postgresGuard' | 'bare';
    const targets: { key: Key; label: string; server: ServerProcess; spec: Partial<LoadSpec> }[] = [
      { key: 'me', label: 'API GET /me (JWT guard)', server: api, spec: { path: '/me', headers } },
      { key: 'twin', label: 'GET /me-twin (no guard)', server: twin, spec: { path: '/me-twin' } },
      { key: 'dpop', label: 'API GET /me (DPoP-bound token + proof)', server: api, spec: { path: '/me' } },
      { key: 'databaseGuard', label: 'GET /me (SQLite lookup guard)', server: databaseGuard, spec: { path: '/me', headers } },
      ...(postgresGuard
        ? [
            {
              key: 'postgresGuard' as const,
              label: 'GET /me (PostgreSQL lookup guard)',
              server: postgresGuard,
              spec: { path: '/me', headers: postgresHeaders },
            },
          ]
        : []),
      { key: 'bare', label: 'GET /me (bare node:http)', server: bare, spec: { path: '/me', headers } },
    ];
    const base = { connections: SETTINGS.connections };
    const specOf = async (target: (typeof targets)[number], durationS: number) => ({
      ...base,
      ...target.spec,
      ...(target.key === 'dpop' ? await dpopSpec(durationS) : {}),
      durationS,
    });
    const measure = async (target: (typeof targets)[number], durationS: number) => {
      const result = await runLoad(target.server, await specOf(target, durationS));
      if (target.key === 'dpop') dpopFastest = Math.max(dpopFastest, result.rps);
      return result;
    };
    for (const target of targets) await measure(target, SETTINGS.warmupS);

    const runs: Record<Key, LoadResult[]> = { me: [], twin: [], dpop: [], databaseGuard: [], postgresGuard: [], bare: [] };
    for (let roundIndex = 0; roundIndex < SETTINGS.throughputRounds; roundIndex++) {
      // Rotate the order each round, so that no target always runs first (or always last).
      const order = targets.map((_, i) => targets[(i + roundIndex) % targets.length]);
      for (const target of order) {
        runs[target.key].push(await measure(target, SETTINGS.runS));
      }
      log(
        `throughput round ${roundIndex + 1}/${SETTINGS.throughputRounds}: ${order.map((t) => `${t.key} ${Math.round(runs[t.key].at(-1)!.rps)}/s`).join(', ')}`,
      );
    }
    const perRound = (numerator: LoadResult[], denominator: LoadResult[]) => numerator.map((run, i) => run.rps / denominator[i].rps);
    const ifMeasured = <T>(results: LoadResult[], ratio: () => T): T | null => (results.length > 0 ? ratio() : null);
    // The same ratio from server CPU time per request (inverse): requests per CPU-second.
    const perRoundCpu = (numerator: LoadResult[], denominator: LoadResult[]) =>
      numerator.map((run, i) => denominator[i].serverCpuUsPerRequest / run.serverCpuUsPerRequest);
    return {
      targets: Object.fromEntries(targets.map((t) => [t.key, { label: t.label, ...summary(runs[t.key]) }])) as Partial<
        Record<Key, { label: string } & ReturnType<typeof summary>>
      >,
      guardCost: ratioSummary(perRound(runs.me, runs.twin)),
      jwtOverDatabase: ratioSummary(perRound(runs.me, runs.databaseGuard)),
      jwtOverPostgres: ifMeasured(runs.postgresGuard, () => ratioSummary(perRound(runs.me, runs.postgresGuard))),
      meOverBare: ratioSummary(perRound(runs.me, runs.bare)),
      dpopOverBearer: ratioSummary(perRound(runs.dpop, runs.me)),
      dpopErrors: runs.dpop.reduce((sum, run) => sum + run.errors, 0),
      dpopKeys: bound.length,
      proofVerifyUs: await measureProofVerification(),
      cpuNormalised: {
        guardCost: ratioSummary(perRoundCpu(runs.me, runs.twin)),
        jwtOverDatabase: ratioSummary(perRoundCpu(runs.me, runs.databaseGuard)),
        meOverBare: ratioSummary(perRoundCpu(runs.me, runs.bare)),
        dpopOverBearer: ratioSummary(perRoundCpu(runs.dpop, runs.me)),
      },
      sanity: { unknownDeviceTokenApi: 200, unknownDeviceTokenDatabaseGuard: 401 },
    };
  } finally {
    await Promise.all([api.stop(), twin.stop(), databaseGuard.stop(), bare.stop(), postgresGuard?.stop()]);
  }
}

// 4 and 5 share one API process (and its users).
async function measureRefreshAndStorm(context: Context) {
  const api = await startApi(context);
  try {
    const client = new ApiClient(api.url);
    const users = Array.from({ length: SETTINGS.refreshSessions }, (_, i) => email(`session-${i}`));
    await registerAll(client, users);
    const refresh = await measureRefresh(api, client, users);
    const storm = await measureLoginStorm(api, client, users.slice(0, SETTINGS.stormLogins));
    return { refresh, storm };
  } finally {
    await api.stop();
  }
}

// 4: 32 device sessions, each refreshing in a chain: every request presents the refresh token
// its connection's previous response returned.
async function measureRefresh(api: ServerProcess, client: ApiClient, users: readonly string[]) {
  const chainedRun = async (durationS: number) => {
    const sessions: { token: string }[] = [];
    for (let i = 0; i < users.length; i += 8) {
      const logins = users.slice(i, i + 8).map((user, j) => client.login(user, PASSWORD, `Bench phone ${i + j}`));
      for (const tokens of await Promise.all(logins)) sessions.push({ token: tokens.refresh_token });
    }
    let nextSession = 0;
    const spec: LoadSpec = {
      connections: sessions.length,
      durationS,
      // One session per connection, for the whole run: autocannon resets its per-connection
      // `context` between iterations of a one-request list, so the chain lives in this closure.
      setupClient: (loadClient: LoadClient) => {
        const session = sessions[nextSession++ % sessions.length];
        loadClient.setRequests([
          {
            method: 'POST',
            path: '/auth/refresh',
            headers: { 'content-type': 'application/json' },
            setupRequest: (request) => ({
              ...request,
              body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: session.token }),
            }),
            onResponse: (status, body) => {
              if (status === 200) session.token = (JSON.parse(body) as TokenResponse).refresh_token;
            },
          },
        ]);
      },
    };
    const result = await runLoad(api, spec);
    // Every chain is intact: its newest token still refreshes (a request cut off when the run
    // ended is within the grace period and answered with the same successor).
    const statuses = await Promise.all(sessions.map((session) => client.refresh(session.token)));
    return { ...result, chainChecksFailed: statuses.filter((status) => status !== 200).length };
  };

  const warmup = await chainedRun(SETTINGS.warmupS);
  const runs: Awaited<ReturnType<typeof chainedRun>>[] = [];
  for (let roundIndex = 0; roundIndex < SETTINGS.refreshRounds; roundIndex++) {
    const result = await chainedRun(SETTINGS.refreshRunS);
    runs.push(result);
    log(
      `refresh round ${roundIndex + 1}/${SETTINGS.refreshRounds}: ${Math.round(result.rps)} rotations/s, p99 ${result.p99Ms} ms, ${result.errors + result.chainChecksFailed} errors`,
    );
  }
  return {
    sessions: users.length,
    rotationsPerSecond: round(median(runs.map((r) => r.rps)), 0),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    // The warm-up run's errors count too: any failed rotation is an error.
    errors: [warmup, ...runs].reduce((sum, r) => sum + r.errors + r.chainChecksFailed, 0),
    serverCores: round(median(runs.map((r) => r.serverCores))),
    serverCpuUsPerRotation: round(median(runs.map((r) => r.serverCpuUsPerRequest)), 0),
    rounds: runs.map((r) => ({
      rps: round(r.rps, 0),
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      errors: r.errors,
      chainChecksFailed: r.chainChecksFailed,
      serverCores: round(r.serverCores),
    })),
  };
}

// 9: the verifier package's own cost in a service outside: the same Express app and handler,
// with and without expressMiddleware (HS256 shared secret, revocation feed followed), in
// interleaved rounds with one access token.
async function measureVerifierOverhead(context: Context) {
  const api = await startApi(context);
  const { jwt } = context.config;
  const start = (verifier: 'on' | 'off') =>
    ServerProcess.start({
      name: `Express, verifier ${verifier}`,
      script: SCRIPTS.outsideService,
      cwd: context.scratch,
      env: {
        BENCH_VERIFIER: verifier,
        AUTH_URL: api.url,
        JWT_SECRET: context.secret,
        JWT_ISSUER: jwt.issuer,
        JWT_AUDIENCE: jwt.audience,
        REVOCATION_FEED_TOKEN: FEED_TOKEN,
      },
      readyPath: '/health',
    });
  const withVerifier = await start('on');
  const without = await start('off');
  try {
    const client = new ApiClient(api.url);
    await client.register(email('outside'), PASSWORD);
    const tokens = await client.login(email('outside'), PASSWORD, 'Bench phone');
    const headers = { authorization: `Bearer ${tokens.access_token}` };
    check(
      (await new ApiClient(withVerifier.url).status('/orders', tokens.access_token)) === 200,
      'the verified service accepts a live token',
    );
    check((await new ApiClient(withVerifier.url).status('/orders')) === 401, 'the verified service refuses a request without a token');
    check((await new ApiClient(without.url).status('/orders')) === 200, 'the unverified twin answers without a token');
    const targets = [
      { key: 'on', server: withVerifier },
      { key: 'off', server: without },
    ] as const;
    for (const target of targets)
      await runLoad(target.server, { connections: SETTINGS.connections, path: '/orders', headers, durationS: SETTINGS.warmupS });
    const runs: Record<'on' | 'off', LoadResult[]> = { on: [], off: [] };
    for (let roundIndex = 0; roundIndex < SETTINGS.throughputRounds; roundIndex++) {
      for (const target of roundIndex % 2 === 0 ? targets : [...targets].reverse()) {
        runs[target.key].push(
          await runLoad(target.server, { connections: SETTINGS.connections, path: '/orders', headers, durationS: SETTINGS.runS }),
        );
      }
    }
    check(
      runs.on.every((run) => run.errors === 0),
      'no request through the verifier failed',
    );
    log(`verifier overhead: ${round(median(runs.on.map((r) => r.rps)), 0)} vs ${round(median(runs.off.map((r) => r.rps)), 0)} req/s`);
    return {
      withVerifier: summary(runs.on),
      without: summary(runs.off),
      ratio: ratioSummary(runs.on.map((run, i) => run.rps / runs.off[i].rps)),
    };
  } finally {
    await Promise.all([api.stop(), withVerifier.stop(), without.stop()]);
  }
}

// 4b: the same chained refreshes on another database (local PostgreSQL), for the figure beside 4.
async function measureRefreshOn(context: Context, databaseUrl: string) {
  const api = await startApi(context, databaseUrl);
  try {
    const client = new ApiClient(api.url);
    const users = Array.from({ length: SETTINGS.refreshSessions }, (_, i) => email(`pg-session-${i}`));
    await registerAll(client, users);
    return await measureRefresh(api, client, users);
  } finally {
    await api.stop();
  }
}

// 8: how long a device revoked through one API process keeps working on another: sign in on A,
// see GET /me pass on B, log out on A, then ask B every 2 ms until it refuses. SQLite has the
// periodic sync (REVOCATION_SYNC_INTERVAL, 1 s) only; PostgreSQL pushes (LISTEN/NOTIFY).
async function measureRevocationSpread(context: Context, databaseUrl: string) {
  const env = { ...context.serverEnv, DATABASE_URL: databaseUrl, REVOCATION_SYNC_INTERVAL: '1s' };
  const start = (name: string) => ServerProcess.start({ name, script: SCRIPTS.api, cwd: context.scratch, env, readyPath: '/health' });
  const first = await start('api A');
  const second = await start('api B');
  const push = databaseUrl.startsWith('postgres');
  try {
    const a = new ApiClient(first.url);
    const b = new ApiClient(second.url);
    const user = email(`spread-${push ? 'pg' : 'sqlite'}`);
    await a.register(user, PASSWORD);
    const sessions: TokenResponse[] = [];
    for (let i = 0; i < SETTINGS.spreadSamples; i++) sessions.push(await a.login(user, PASSWORD, `Spread ${i}`));
    const samples: number[] = [];
    for (const tokens of sessions) {
      check((await b.status('/me', tokens.access_token)) === 200, 'the other process lets the device in before it is revoked');
      check((await a.logout(tokens.access_token)) === 204, 'logout answers 204');
      const revokedAt = performance.now();
      while ((await b.status('/me', tokens.access_token)) === 200) {
        check(performance.now() - revokedAt < 5000, 'the other process refuses a revoked device within 5 s');
        await sleep(2);
      }
      samples.push(performance.now() - revokedAt);
      // Spread the samples over the sync interval's phase, as revocations arrive in practice.
      await sleep(Math.random() * 200);
    }
    samples.sort((x, y) => x - y);
    const at = (q: number) => round(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))], 1);
    log(`revocation spread (${push ? 'PostgreSQL push' : 'SQLite polling'}): p50 ${at(0.5)} ms, max ${round(samples.at(-1)!, 1)} ms`);
    return {
      database: push ? 'PostgreSQL (push)' : 'SQLite (polling)',
      push,
      samples: samples.length,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: round(samples.at(-1)!, 1),
    };
  } finally {
    await Promise.all([first.stop(), second.stop()]);
  }
}

// 5: GET /me latency at a steady rate, alone and while 16 logins are in flight (each login
// loop starts the next as soon as one returns, so 16 are always hashing or queued to hash).
async function measureLoginStorm(api: ServerProcess, client: ApiClient, users: readonly string[]) {
  const tokens = await client.login(users[0], PASSWORD, 'Bench storm reader');
  const probe = {
    url: api.url,
    path: '/me',
    headers: { authorization: `Bearer ${tokens.access_token}` },
    rate: SETTINGS.stormMeRate,
    durationS: SETTINGS.stormRunS,
  };
  await probeLatency({ ...probe, durationS: 1 }); // warm-up
  const quiet: ProbeResult[] = [];
  const stormy: ProbeResult[] = [];
  const loginStats: { logins: number; failures: number; p50Ms: number; perSecond: number }[] = [];
  for (let roundIndex = 0; roundIndex < SETTINGS.stormRounds; roundIndex++) {
    quiet.push(await probeLatency(probe));

    let stop = false;
    const latencies: number[] = [];
    let failures = 0;
    const loop = async (user: string, i: number) => {
      for (let n = 0; !stop && n < SETTINGS.stormMaxLoginsPerLoop; n++) {
        const started = performance.now();
        try {
          await client.login(user, PASSWORD, `Storm ${i}`);
          latencies.push(performance.now() - started);
        } catch {
          failures++;
        }
      }
    };
    const stormStarted = performance.now();
    const loops = users.map((user, i) => loop(user, i));
    await sleep(250); // every login is hashing (or queued for the pool) before timing starts
    stormy.push(await probeLatency(probe));
    stop = true;
    await Promise.all(loops);
    const stormS = (performance.now() - stormStarted) / 1000;
    loginStats.push({
      logins: latencies.length,
      failures,
      p50Ms: round(median(latencies), 0),
      perSecond: round(latencies.length / stormS, 1),
    });
    log(
      `login storm round ${roundIndex + 1}/${SETTINGS.stormRounds}: GET /me p99 ${quiet.at(-1)!.p99Ms} ms alone, ` +
        `${stormy.at(-1)!.p99Ms} ms during ${users.length} logins (${latencies.length} logins, ${failures} failed)`,
    );
  }
  const errors = (results: ProbeResult[]) => results.reduce((sum, r) => sum + r.errors, 0);
  return {
    concurrentLogins: users.length,
    meRate: SETTINGS.stormMeRate,
    quiet: {
      p50Ms: median(quiet.map((r) => r.p50Ms)),
      p99Ms: median(quiet.map((r) => r.p99Ms)),
      maxMs: Math.max(...quiet.map((r) => r.maxMs)),
      errors: errors(quiet),
    },
    storm: {
      p50Ms: median(stormy.map((r) => r.p50Ms)),
      p99Ms: median(stormy.map((r) => r.p99Ms)),
      maxMs: Math.max(...stormy.map((r) => r.maxMs)),
      errors: errors(stormy),
    },
    logins: {
      perSecond: median(loginStats.map((r) => r.perSecond)),
      p50Ms: median(loginStats.map((r) => r.p50Ms)),
      failures: loginStats.reduce((sum, r) => sum + r.failures, 0),
    },
    rounds: quiet.map((r, i) => ({ quietP99Ms: r.p99Ms, stormP99Ms: stormy[i].p99Ms, stormMaxMs: stormy[i].maxMs, ...loginStats[i] })),
  };
}

interface MemorySample {
  readonly idleRssMiB: number;
  readonly afterLoadRssMiB: number;
  readonly peakRssMiB: number;
}

type MemoryFigures =
  | { readonly skipped: string }
  | {
      readonly devices: number;
      readonly revokedInSet: number;
      readonly users: number;
      readonly seedSeconds: number;
      readonly empty: MemorySample;
      readonly seeded: MemorySample;
    };

// 6: resident memory, empty database vs 100,000 devices with 10,000 recently revoked.
// The cost of one DPoP proof verification (jose's ES256 verify, thumbprint, the RFC 9449
// checks and the replay cache), in-process, on proofs made beforehand by the client library.
async function measureProofVerification(): Promise<{ microseconds: number; proofs: number }> {
  const keys = await generateKeyPair('ES256');
  const url = 'https://bench.example/me';
  const proofs = await Promise.all(
    Array.from({ length: SETTINGS.proofVerifications }, () => generateProof(keys, url, 'GET', undefined, 'token')),
  );
  const verifier = new DpopProofVerifier({ maxAgeSeconds: 600, clockToleranceSeconds: 5, now: () => Date.now() });
  for (const proof of proofs.slice(0, 100)) await verifier.verify(proof, { method: 'GET', url, accessToken: 'token' }); // warm-up
  const started = process.hrtime.bigint();
  for (const proof of proofs.slice(100)) await verifier.verify(proof, { method: 'GET', url, accessToken: 'token' });
  const microseconds = Number(process.hrtime.bigint() - started) / 1000 / (proofs.length - 100);
  return { microseconds: round(microseconds, 1), proofs: proofs.length - 100 };
}

// 7: does a failed sign-in take longer for an existing account than for an unknown email? It
// must not (account enumeration by timing). One request at a time, the two kinds alternating,
// so that drift of the machine hits both alike; Welch's z on the means says whether any
// difference stands out from the noise.
async function measureFailedSignInTiming(context: Context) {
  const api = await startApi(context);
  try {
    const client = new ApiClient(api.url);
    const known = email('timing-known');
    await client.register(known, PASSWORD);
    const times = { known: [] as number[], unknown: [] as number[] };
    const attempt = async (address: string) => {
      const started = performance.now();
      const status = await client.loginStatus(address, 'not the password');
      check(status === 401, `a failed sign-in answered ${status}`);
      return performance.now() - started;
    };
    for (let warmup = 0; warmup < 5; warmup++) await attempt(known);
    for (let sample = 0; sample < SETTINGS.failedSignInSamples; sample++) {
      // Alternate which kind goes first, so that neither always follows the other.
      const order = sample % 2 === 0 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const);
      for (const kind of order) times[kind].push(await attempt(kind === 'known' ? known : email(`timing-unknown-${sample}`)));
    }
    const stats = (values: number[]) => {
      const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
      const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1);
      return { medianMs: round(median(values)), meanMs: round(mean), variance };
    };
    const existing = stats(times.known);
    const unknown = stats(times.unknown);
    const z =
      (existing.meanMs - unknown.meanMs) / Math.sqrt(existing.variance / times.known.length + unknown.variance / times.unknown.length);
    return {
      samples: SETTINGS.failedSignInSamples,
      known: { medianMs: existing.medianMs, meanMs: existing.meanMs },
      unknown: { medianMs: unknown.medianMs, meanMs: unknown.meanMs },
      medianRatio: round(existing.medianMs / unknown.medianMs, 3),
      welchZ: round(z),
    };
  } finally {
    await api.stop();
  }
}

async function measureMemory(context: Context): Promise<MemoryFigures> {
  if (!context.sqlite) return { skipped: 'seeding writes SQLite only' };
  const dir = join(context.scratch, 'memory');
  mkdirSync(dir);
  const path = join(dir, 'auth.sqlite');
  const url = `sqlite:${path}`;

  const sample = async (api: ServerProcess, token: string): Promise<MemorySample> => {
    await sleep(SETTINGS.memorySettleS * 1000);
    const idle = api.memory();
    await runLoad(api, {
      connections: SETTINGS.connections,
      durationS: SETTINGS.runS,
      path: '/me',
      headers: { authorization: `Bearer ${token}` },
    });
    const loaded = api.memory();
    const mib = (kib: number) => round(kib / 1024, 1);
    return { idleRssMiB: mib(idle.rssKiB), afterLoadRssMiB: mib(loaded.rssKiB), peakRssMiB: mib(loaded.peakKiB) };
  };

  // The first start migrates the empty file; its figures are the baseline.
  let api = await startApi(context, url);
  let empty: MemorySample;
  try {
    empty = await sample(api, signAccessToken(context.config, randomUUID(), randomUUID()));
  } finally {
    await api.stop();
  }

  const seeded: Seeded = seedDevices(path, {
    ...SETTINGS.memory,
    revokedWithinMs: (context.config.accessTokenTtl - 60) * 1000,
    now: Date.now(),
  });
  log(`seeded ${seeded.devices} devices (${seeded.revoked} revoked) in ${seeded.seconds.toFixed(1)} s`);

  api = await startApi(context, url);
  try {
    const client = new ApiClient(api.url);
    const live = signAccessToken(context.config, seeded.sampleLive.userId, seeded.sampleLive.deviceId);
    const revoked = signAccessToken(context.config, seeded.sampleRevoked.userId, seeded.sampleRevoked.deviceId);
    check((await client.status('/me', live)) === 200, 'a seeded live device is let in');
    check((await client.status('/me', revoked)) === 401, 'a seeded revoked device is refused (the revocations were loaded at start)');
    const full = await sample(api, live);
    return {
      devices: seeded.devices,
      revokedInSet: seeded.revoked,
      users: seeded.users,
      seedSeconds: round(seeded.seconds, 1),
      empty,
      seeded: full,
    };
  } finally {
    await api.stop();
  }
}

function machine() {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'apps', 'libs'], { encoding: 'utf8' }).trim();
    if (dirty) commit += ' (apps/libs modified)';
  } catch {
    // not a git checkout
  }
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    os: `${platform()} ${arch()}`,
    commit,
  };
}

type Results = Awaited<ReturnType<typeof collect>>;

async function collect(context: Context) {
  const started = Date.now();
  const sections: {
    throughput?: Awaited<ReturnType<typeof measureThroughput>>;
    refreshAndStorm?: Awaited<ReturnType<typeof measureRefreshAndStorm>>;
    memory?: Awaited<ReturnType<typeof measureMemory>>;
    failedSignInTiming?: Awaited<ReturnType<typeof measureFailedSignInTiming>>;
    refreshPostgres?: Awaited<ReturnType<typeof measureRefreshOn>>;
    revocationSpread?: Awaited<ReturnType<typeof measureRevocationSpread>>[];
    verifierOverhead?: Awaited<ReturnType<typeof measureVerifierOverhead>>;
    replayCacheMemory?: ReplayCacheMemory;
  } = {};
  const skipped: string[] = [];
  const loadAverage: { section: string; before: number; after?: number }[] = [];
  // BENCH_SECTIONS=throughput,refresh,memory runs a subset (all by default).
  const only = process.env.BENCH_SECTIONS?.split(',').map((name) => name.trim());
  const section = async <T>(name: string, work: () => Promise<T>): Promise<T | undefined> => {
    if (only && !only.some((wanted) => name.startsWith(wanted))) return undefined;
    if (Date.now() > context.deadline) {
      skipped.push(`${name} (deadline)`);
      return undefined;
    }
    log(`${name}…`);
    // Other processes on the machine move absolute figures; the 1-minute load average says how busy it was.
    loadAverage.push({ section: name, before: round(loadavg()[0]) });
    const result = await work();
    loadAverage.at(-1)!.after = round(loadavg()[0]);
    return result;
  };
  sections.throughput = await section('throughput (1–3)', () => measureThroughput(context));
  sections.refreshAndStorm = await section('refresh and login storm (4–5)', () => measureRefreshAndStorm(context));
  if (context.postgresUrl) {
    const postgresUrl = context.postgresUrl;
    sections.refreshPostgres = await section('refresh on PostgreSQL (4b)', () => measureRefreshOn(context, postgresUrl));
  }
  const spread = await section('revocation spread (8)', async () => {
    const figures = [await measureRevocationSpread(context, context.databaseUrl)];
    if (context.postgresUrl && context.sqlite) figures.push(await measureRevocationSpread(context, context.postgresUrl));
    return figures;
  });
  if (spread) sections.revocationSpread = spread;
  sections.verifierOverhead = await section('verifier package overhead (9)', () => measureVerifierOverhead(context));
  sections.memory = await section('memory (6)', () => measureMemory(context));
  sections.failedSignInTiming = await section('timing of failed sign-ins (7)', () => measureFailedSignInTiming(context));
  sections.replayCacheMemory = await section('replay cache memory (10)', async () => measureReplayCacheMemory());
  return { ...sections, skipped, loadAverage, seconds: round((Date.now() - started) / 1000, 0) };
}

interface ReplayCacheMemory {
  readonly entries: number;
  readonly sixteenOwnersMiB: number;
  readonly everyProofItsOwnerMiB: number;
}

// 10: the DPoP replay cache's heap at its cap, measured in a process of its own (it needs --expose-gc).
function measureReplayCacheMemory(): ReplayCacheMemory {
  const output = execFileSync(process.execPath, ['--expose-gc', join(BUILT, 'bench/replay-cache-memory/main.js')], { encoding: 'utf8' });
  return JSON.parse(output) as ReplayCacheMemory;
}

interface Row {
  figure: string;
  measured: string;
  target: string;
  met: boolean | null;
}

function rows(results: Results, database: string): Row[] {
  const out: Row[] = [];
  const t = results.throughput;
  if (t) {
    const range = (r: { min: number; max: number }) => `(${r.min.toFixed(2)}–${r.max.toFixed(2)})`;
    const c = t.cpuNormalised;
    const rps = (key: string) => t.targets[key as keyof typeof t.targets]?.rps ?? 0;
    out.push({
      figure: '1. Guard cost: GET /me ÷ the same handler without the guard (req/s)',
      measured: `${t.guardCost.median.toFixed(2)} ${range(t.guardCost)}; ${rps('me')} vs ${rps('twin')} req/s; per CPU-second ${c.guardCost.median.toFixed(2)}`,
      target: '≥ 0.9',
      met: t.guardCost.median >= 0.9,
    });
    if (t.jwtOverPostgres) {
      out.push({
        figure: '2. JWT guard ÷ PostgreSQL device-lookup guard',
        measured: `${t.jwtOverPostgres.median.toFixed(2)}× ${range(t.jwtOverPostgres)}; ${rps('postgresGuard')} req/s with lookup`,
        target: '≥ 3×',
        met: t.jwtOverPostgres.median >= 3,
      });
    }
    out.push({
      figure: '2b. JWT guard ÷ SQLite device-lookup guard (embedded)',
      measured: `${t.jwtOverDatabase.median.toFixed(2)}× ${range(t.jwtOverDatabase)}; ${rps('databaseGuard')} req/s with lookup; per CPU-second ${c.jwtOverDatabase.median.toFixed(2)}×`,
      target: 'reported',
      met: null,
    });
    out.push({
      figure: '3. GET /me ÷ bare node:http + node:crypto',
      measured: `${t.meOverBare.median.toFixed(2)} ${range(t.meOverBare)}; bare ${rps('bare')} req/s; per CPU-second ${c.meOverBare.median.toFixed(2)}`,
      target: '≥ 0.5',
      met: t.meOverBare.median >= 0.5,
    });
  }
  if (t) {
    const c = t.cpuNormalised;
    out.push({
      figure: '3b. GET /me with a DPoP-bound token ÷ with a bearer token',
      measured: `${t.dpopOverBearer.median.toFixed(2)} (${t.dpopOverBearer.min.toFixed(2)}–${t.dpopOverBearer.max.toFixed(2)}); ${t.targets.dpop?.rps ?? 0} req/s over ${t.dpopKeys} keys, ${t.dpopErrors} errors; per CPU-second ${c.dpopOverBearer.median.toFixed(2)}; one proof verification ${t.proofVerifyUs.microseconds} µs`,
      target: '≥ 0.5',
      met: t.dpopOverBearer.median >= 0.5 && t.dpopErrors === 0,
    });
  }
  const r = results.refreshAndStorm;
  if (r) {
    const f = r.refresh;
    const p = results.refreshPostgres;
    out.push({
      figure: `4. Refresh rotations/s (${f.sessions} chained sessions, ${database})`,
      measured: `${f.rotationsPerSecond}/s, p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, ${f.errors} errors; ${f.serverCpuUsPerRotation} µs server CPU each`,
      target: '≥ 2,000/s, p99 < 50 ms, 0 errors',
      met: f.rotationsPerSecond >= 2000 && f.p99Ms < 50 && f.errors === 0,
    });
    if (p) {
      out.push({
        figure: `4b. Refresh rotations/s (${p.sessions} chained sessions, local PostgreSQL)`,
        measured: `${p.rotationsPerSecond}/s, p50 ${p.p50Ms} ms, p99 ${p.p99Ms} ms, ${p.errors} errors; ${p.serverCpuUsPerRotation} µs server CPU each`,
        target: 'reported, 0 errors',
        met: p.errors === 0,
      });
    }
    const s = r.storm;
    out.push({
      figure: `5. GET /me p99 during ${s.concurrentLogins} concurrent logins (${s.meRate} req/s, paced)`,
      measured: `${s.storm.p99Ms} ms (alone: ${s.quiet.p99Ms} ms); ${s.logins.perSecond} logins/s, ${s.storm.errors + s.logins.failures} errors`,
      target: '< 25 ms',
      met: s.storm.p99Ms < 25 && s.storm.errors === 0,
    });
  }
  const m = results.memory;
  if (m && 'seeded' in m) {
    out.push({
      figure: `6. RSS, ${m.devices.toLocaleString('en')} devices, ${m.revokedInSet.toLocaleString('en')} in the revocation set`,
      measured: `${m.seeded.idleRssMiB} MiB idle, ${m.seeded.afterLoadRssMiB} MiB after load (empty DB: ${m.empty.idleRssMiB} / ${m.empty.afterLoadRssMiB} MiB)`,
      target: 'reported',
      met: null,
    });
  }
  for (const spread of results.revocationSpread ?? []) {
    out.push({
      figure: `8. Revocation spread across two processes, ${spread.database} (${spread.samples} samples)`,
      measured: `p50 ${spread.p50Ms} ms, p99 ${spread.p99Ms} ms, max ${spread.maxMs} ms`,
      target: spread.push ? 'p99 ≤ 100 ms (push)' : 'max ≤ 1,000 ms + one request (polling, 1 s)',
      met: spread.push ? spread.p99Ms <= 100 : spread.maxMs <= 1100,
    });
  }
  const v = results.verifierOverhead;
  if (v) {
    out.push({
      figure: '9. Express + @device-auth/verifier ÷ the same app without it (req/s)',
      measured: `${v.ratio.median.toFixed(2)} (${v.ratio.min.toFixed(2)}–${v.ratio.max.toFixed(2)}); ${v.withVerifier.rps} vs ${v.without.rps} req/s`,
      target: 'reported',
      met: null,
    });
  }
  const replay = results.replayCacheMemory;
  if (replay) {
    out.push({
      figure: `10. DPoP replay cache at its cap (${replay.entries.toLocaleString('en')} proofs, one process's heap)`,
      measured: `${replay.sixteenOwnersMiB} MiB with 16 keys at their share; ${replay.everyProofItsOwnerMiB} MiB with every proof its own owner`,
      target: 'reported',
      met: null,
    });
  }
  const f = results.failedSignInTiming;
  if (f) {
    out.push({
      figure: `7. Failed sign-in time, existing ÷ unknown email (${f.samples} each, alternating)`,
      measured: `${f.medianRatio.toFixed(3)} (medians ${f.known.medianMs} / ${f.unknown.medianMs} ms); Welch z ${f.welchZ}`,
      target: '|z| < 3 (equal within noise)',
      met: Math.abs(f.welchZ) < 3,
    });
  }
  return out;
}

function header(info: ReturnType<typeof machine>): string {
  return `device-auth benchmarks: ${info.cores} cores (${info.cpu}), ${info.memoryGiB} GiB, Node ${info.node}, ${info.os}, commit ${info.commit}`;
}

function printTable(info: ReturnType<typeof machine>, table: Row[], results: Results): void {
  const met = (row: Row) => (row.met === null ? '' : row.met ? 'yes' : 'NO');
  const widths = [
    Math.max(6, ...table.map((row) => row.figure.length)),
    Math.max(8, ...table.map((row) => row.measured.length)),
    Math.max(6, ...table.map((row) => row.target.length)),
  ];
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 3)).join('  ');
  console.log(`\n${header(info)}`);
  console.log(line(['figure', 'measured (median of rounds, min–max)', 'target', 'met']));
  console.log(line(widths.map((w) => '-'.repeat(w)).concat('---')));
  for (const row of table) console.log(line([row.figure, row.measured, row.target, met(row)]));
  const t = results.throughput;
  if (t) {
    console.log('\nthroughput runs (median req/s, p50/p99 ms, CPU cores used by server / load generator):');
    for (const target of Object.values(t.targets)) {
      console.log(
        `  ${target.label.padEnd(28)} ${String(target.rps).padStart(6)} req/s  ${target.p50Ms}/${target.p99Ms} ms  ` +
          `server ${target.serverCores} cores, ${target.serverCpuUsPerRequest} µs CPU/request; client ${target.clientCores} cores; errors ${target.errors}`,
      );
    }
    const c = t.cpuNormalised;
    console.log(
      `  same ratios from server CPU per request: guard cost ${c.guardCost.median.toFixed(2)}, JWT ÷ database ${c.jwtOverDatabase.median.toFixed(2)}×, GET /me ÷ bare ${c.meOverBare.median.toFixed(2)}, DPoP ÷ bearer ${c.dpopOverBearer.median.toFixed(2)}`,
    );
  }
  console.log(
    `\n1-minute load average before/after each section: ${results.loadAverage.map((l) => `${l.section} ${l.before}/${l.after ?? '?'}`).join('; ')}`,
  );
  if (results.skipped.length > 0) console.log(`skipped: ${results.skipped.join(', ')}`);
  console.log(`\ntotal ${results.seconds} s`);
}

function markdown(info: ReturnType<typeof machine>, table: Row[], when: string, results: Results): string {
  const met = (row: Row) => (row.met === null ? '—' : row.met ? 'met' : '**missed**');
  return [
    `${header(info)}, ${when}`,
    '',
    `1-minute load average before/after each section: ${results.loadAverage.map((l) => `${l.section} ${l.before}/${l.after ?? '?'}`).join('; ')}`,
    '',
    '| figure | measured (median of rounds, min–max) | target | |',
    '| --- | --- | --- | --- |',
    ...table.map((row) => `| ${row.figure} | ${row.measured} | ${row.target} | ${met(row)} |`),
    '',
  ].join('\n');
}

/**
 * A scratch database on the PostgreSQL server at BENCH_POSTGRES_URL (default: the local one
 * the tests use), for the figures measured on both databases; null (those figures are left
 * out) when no server answers or BENCH_POSTGRES_URL=off.
 */
async function scratchPostgres(): Promise<{ url: string; drop(): Promise<void> } | null> {
  const server = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  if (server === 'off') return null;
  const name = `device_auth_bench_${RUN_ID}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: server, connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  try {
    await admin(`CREATE DATABASE ${name}`);
  } catch (error) {
    log(`no PostgreSQL figures: ${(error as Error).message}`);
    return null;
  }
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'device-auth-bench-'));
  const secret = randomBytes(48).toString('base64url');
  // Hook for PostgreSQL: BENCH_DATABASE_URL=postgres://… runs sections 1–5 against that
  // (empty, disposable) database; section 6 seeds SQLite only.
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? `sqlite:${join(scratch, 'auth.sqlite')}`;
  const postgres = await scratchPostgres();
  const config = AppConfig.fromEnv({ JWT_SECRET: secret, DATABASE_URL: databaseUrl });
  const context: Context = {
    scratch,
    databaseUrl,
    sqlite: databaseUrl.startsWith('sqlite:'),
    postgresUrl: postgres?.url ?? null,
    secret,
    config,
    serverEnv: {
      NODE_ENV: 'production',
      SMTP_URL: PRODUCTION_SMTP_URL,
      JWT_SECRET: secret,
      // One issuer for every process (each has its own PUBLIC_URL, which would otherwise be its
      // default issuer), so that they accept each other's tokens, and the harness's.
      JWT_ISSUER: config.jwt.issuer,
      DATABASE_URL: databaseUrl,
      LOGIN_RATE_LIMIT: '1000000/1m',
      REGISTER_RATE_LIMIT: '1000000/1m',
      REVOCATION_FEED_TOKEN: FEED_TOKEN,
    },
    deadline: Date.now() + SETTINGS.deadlineS * 1000,
  };
  const info = machine();
  log(header(info));
  const when = new Date().toISOString();
  let results: Results;
  try {
    results = await collect(context);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await postgres?.drop();
  }
  const table = rows(results, context.sqlite ? 'SQLite' : 'PostgreSQL');
  printTable(info, table, results);
  const out = join(process.cwd(), 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'latest.json'),
    `${JSON.stringify({ when, machine: info, settings: SETTINGS, quick, database: context.sqlite ? 'sqlite' : 'postgres', table, ...results }, null, 2)}\n`,
  );
  writeFileSync(join(out, 'latest.md'), markdown(info, table, when, results));
  console.log(`wrote ${join('bench', 'results', 'latest.json')} and latest.md`);
}

await main();
