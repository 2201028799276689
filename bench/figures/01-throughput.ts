import { randomUUID } from 'node:crypto';
import { generateKeyPair, generateProof, type KeyPair } from 'dpop';
import { ApiClient, signAccessToken } from '../support/api-client.js';
import { check, email, log, PASSWORD, SCRIPTS, startApi, type Context } from '../support/context.js';
import { runLoad, type LoadClient, type LoadResult, type LoadSpec } from '../support/load.js';
import { ratioSummary, summary, type RatioSummary, type RunSummary } from '../support/run-summary.js';
import { ServerProcess } from '../support/server-process.js';
import { measureProofVerification, type ProofVerification } from './03b-dpop-proof-verification.js';

/** The throughput section's targets (figures 1–3b). */
type ThroughputKey = 'me' | 'meQuiet' | 'twin' | 'twinMe' | 'twinToken' | 'dpop' | 'databaseGuard' | 'postgresGuard' | 'bare';

/** Figures 1, 2, 2b, 3 and 3b. */
export interface ThroughputFigures {
  readonly targets: Partial<Record<ThroughputKey, { label: string } & RunSummary>>;
  /** GET /me ÷ GET /me-twin, both on the twin process: the guard's cost, nothing else differing. */
  readonly guardCost: RatioSummary;
  /** GET /me ÷ GET /me-twin sent the same Authorization header (which it ignores), both on the twin process: without the token's bytes. */
  readonly guardAlone: RatioSummary;
  /**
   * The null control: GET /me on the API process ÷ the same request on the twin process. Nothing
   * differs but the process, so its spread is what a ratio taken across two processes can
   * show by chance (why figures 1 and 1b are taken within one).
   */
  readonly processControl: RatioSummary;
  readonly jwtOverDatabase: RatioSummary;
  /** null: no PostgreSQL server. */
  readonly jwtOverPostgres: RatioSummary | null;
  /** GET /me ÷ bare, request lines on (the API's default, LOG_REQUESTS=all). */
  readonly meOverBare: RatioSummary;
  /** The same with LOG_REQUESTS=off, in the same rounds. */
  readonly meQuietOverBare: RatioSummary;
  /** Lines the log reader counted on the API's stdout, against the requests it answered. */
  readonly requestLines: { readonly read: number; readonly answered: number };
  readonly dpopOverBearer: RatioSummary;
  readonly dpopErrors: number;
  readonly dpopKeys: number;
  readonly proofVerifyUs: ProofVerification;
  /** The same ratios from server CPU time per request. */
  readonly cpuNormalised: {
    readonly guardCost: RatioSummary;
    readonly guardAlone: RatioSummary;
    readonly processControl: RatioSummary;
    readonly jwtOverDatabase: RatioSummary;
    readonly meOverBare: RatioSummary;
    readonly meQuietOverBare: RatioSummary;
    readonly dpopOverBearer: RatioSummary;
  };
  readonly sanity: { readonly unknownDeviceTokenApi: number; readonly unknownDeviceTokenDatabaseGuard: number };
}

/**
 * Figures 1, 2, 2b, 3 and 3b: what the guard costs, against the same handler without it (1), a
 * guard that looks the device up in PostgreSQL (2) or SQLite (2b), a bare node:http server
 * making the same checks (3), and a DPoP-bound token with a fresh proof (3b). Interleaved
 * throughput runs of GET /me (API), GET /me-twin and GET /me on the twin process (the API with
 * the same handler without the guard: figure 1 compares the two routes within that one process),
 * GET /me (database-lookup guard, on SQLite and on PostgreSQL) and GET /me (bare node:http), all
 * with the same access token (the PostgreSQL app's own, for its database), so that every ratio
 * is taken between neighbouring runs on a shared machine.
 */
export async function measureThroughput(context: Context): Promise<ThroughputFigures> {
  const { settings } = context;
  const api = await startApi(context, context.databaseUrl, {
    DPOP_REPLAY_CACHE_SIZE: String(settings.dpopReplayCacheSize),
    LOG_REQUESTS: 'all',
  });
  // The same API with request lines off: what the lines cost, beside the one that writes them.
  const quiet = await startApi(context, context.databaseUrl, { LOG_REQUESTS: 'off' });
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
    env: {
      JWT_SECRET: context.secret,
      BENCH_JWT_KID: context.config.signingKeys.static?.id ?? '',
      JWT_ISSUER: jwt.issuer,
      JWT_AUDIENCE: jwt.audience,
    },
    readyPath: '/health',
  });
  try {
    const client = new ApiClient(api.url);
    await client.register(email('throughput'), PASSWORD);
    const tokens = await client.login(email('throughput'), PASSWORD, 'Bench phone');
    const headers = { authorization: `Bearer ${tokens.access_token}` };
    // More devices of the same account, each bound to its own ES256 key (DPoP): every request
    // carries a fresh proof, made before the run (a proof is good once), as a mobile client makes
    // them, by the devices in turn (settings.dpopKeys: no key comes near its replay-cache share).
    const bound = await signInBound(client, api, email('throughput'), settings.dpopKeys);
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
    check((await new ApiClient(quiet.url).status('/me', tokens.access_token)) === 200, 'API GET /me with LOG_REQUESTS=off is 200');
    check((await new ApiClient(twin.url).status('/me-twin')) === 200, 'public twin GET /me-twin is 200 without a token');
    check((await new ApiClient(twin.url).status('/me', tokens.access_token)) === 200, 'the twin process GET /me is 200 with the token');
    check((await new ApiClient(twin.url).status('/me')) === 401, 'the twin process GET /me is 401 without a token');
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
      const pool = await dpopProofs(Math.ceil(durationS * Math.max(settings.dpopProofsPerSecond, 1.5 * dpopFastest)));
      let next = 0;
      return {
        setupClient: (loadClient: LoadClient) =>
          loadClient.setRequests([
            { method: 'GET', path: '/me', setupRequest: (request) => ({ ...request, headers: pool[next++ % pool.length] }) },
          ]),
      };
    };
    const targets: { key: ThroughputKey; label: string; server: ServerProcess; spec: Partial<LoadSpec> }[] = [
      { key: 'me', label: 'API GET /me (JWT guard)', server: api, spec: { path: '/me', headers } },
      { key: 'meQuiet', label: 'API GET /me, LOG_REQUESTS=off', server: quiet, spec: { path: '/me', headers } },
      { key: 'twin', label: 'twin process: GET /me-twin (no guard)', server: twin, spec: { path: '/me-twin' } },
      { key: 'twinMe', label: 'twin process: GET /me (JWT guard)', server: twin, spec: { path: '/me', headers } },
      { key: 'twinToken', label: 'twin process: GET /me-twin, token sent (ignored)', server: twin, spec: { path: '/me-twin', headers } },
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
    const base = { connections: settings.connections };
    const specOf = async (target: (typeof targets)[number], durationS: number) => ({
      ...base,
      ...target.spec,
      ...(target.key === 'dpop' ? await dpopSpec(durationS) : {}),
      durationS,
    });
    // Requests the API (request lines on) answered 2xx under load, for the log reader's count.
    let apiAnswered = 0;
    const measure = async (target: (typeof targets)[number], durationS: number) => {
      const result = await runLoad(target.server, await specOf(target, durationS));
      if (target.server === api) apiAnswered += result.ok;
      if (target.key === 'dpop') dpopFastest = Math.max(dpopFastest, result.rps);
      return result;
    };
    for (const target of targets) await measure(target, settings.warmupS);

    const runs: Record<ThroughputKey, LoadResult[]> = {
      me: [],
      meQuiet: [],
      twin: [],
      twinMe: [],
      twinToken: [],
      dpop: [],
      databaseGuard: [],
      postgresGuard: [],
      bare: [],
    };
    for (let roundIndex = 0; roundIndex < settings.throughputRounds; roundIndex++) {
      // Rotate the order each round, so that no target always runs first (or always last).
      const order = targets.map((_, i) => targets[(i + roundIndex) % targets.length]);
      for (const target of order) {
        runs[target.key].push(await measure(target, settings.runS));
      }
      log(
        `throughput round ${roundIndex + 1}/${settings.throughputRounds}: ${order.map((t) => `${t.key} ${Math.round(runs[t.key].at(-1)!.rps)}/s`).join(', ')}`,
      );
    }
    const perRound = (numerator: LoadResult[], denominator: LoadResult[]) => numerator.map((run, i) => run.rps / denominator[i].rps);
    const ifMeasured = <T>(results: LoadResult[], ratio: () => T): T | null => (results.length > 0 ? ratio() : null);
    // The same ratio from server CPU time per request (inverse): requests per CPU-second.
    const perRoundCpu = (numerator: LoadResult[], denominator: LoadResult[]) =>
      numerator.map((run, i) => denominator[i].serverCpuUsPerRequest / run.serverCpuUsPerRequest);
    return {
      targets: Object.fromEntries(targets.map((t) => [t.key, { label: t.label, ...summary(runs[t.key]) }])) as ThroughputFigures['targets'],
      guardCost: ratioSummary(perRound(runs.twinMe, runs.twin)),
      guardAlone: ratioSummary(perRound(runs.twinMe, runs.twinToken)),
      processControl: ratioSummary(perRound(runs.me, runs.twinMe)),
      jwtOverDatabase: ratioSummary(perRound(runs.me, runs.databaseGuard)),
      jwtOverPostgres: ifMeasured(runs.postgresGuard, () => ratioSummary(perRound(runs.me, runs.postgresGuard))),
      meOverBare: ratioSummary(perRound(runs.me, runs.bare)),
      meQuietOverBare: ratioSummary(perRound(runs.meQuiet, runs.bare)),
      requestLines: await readRequestLines(api, apiAnswered),
      dpopOverBearer: ratioSummary(perRound(runs.dpop, runs.me)),
      dpopErrors: runs.dpop.reduce((sum, run) => sum + run.errors, 0),
      dpopKeys: bound.length,
      proofVerifyUs: await measureProofVerification(settings),
      cpuNormalised: {
        guardCost: ratioSummary(perRoundCpu(runs.twinMe, runs.twin)),
        guardAlone: ratioSummary(perRoundCpu(runs.twinMe, runs.twinToken)),
        processControl: ratioSummary(perRoundCpu(runs.me, runs.twinMe)),
        jwtOverDatabase: ratioSummary(perRoundCpu(runs.me, runs.databaseGuard)),
        meOverBare: ratioSummary(perRoundCpu(runs.me, runs.bare)),
        meQuietOverBare: ratioSummary(perRoundCpu(runs.meQuiet, runs.bare)),
        dpopOverBearer: ratioSummary(perRoundCpu(runs.dpop, runs.me)),
      },
      sanity: { unknownDeviceTokenApi: 200, unknownDeviceTokenDatabaseGuard: 401 },
    };
  } finally {
    await Promise.all([api.stop(), quiet.stop(), twin.stop(), databaseGuard.stop(), bare.stop(), postgresGuard?.stop()]);
  }
}

/**
 * Stops the API and waits for its log reader's count: every request it answered under load has
 * its line (the count also holds start-up, sanity-check and shutdown lines).
 */
async function readRequestLines(api: ServerProcess, answered: number): Promise<{ read: number; answered: number }> {
  await api.stop();
  const { lines } = await api.logReading();
  check(lines >= answered, `the log reader read a line for every request answered (${lines} lines, ${answered} requests)`);
  return { read: lines, answered };
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
