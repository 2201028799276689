import { randomBytes } from 'node:crypto';
import type { TokenResponse } from '@app/auth';
import { ApiClient } from '../support/api-client.js';
import { check, email, log, PASSWORD, registerAll, SCRIPTS, type Context } from '../support/context.js';
import { runLoad, type LoadResult } from '../support/load.js';
import { ratioSummary, summary, type RatioSummary, type RunSummary } from '../support/run-summary.js';
import { ServerProcess } from '../support/server-process.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { median, percentile, round } from '../support/stats.js';
import { chainedRefreshRun } from './04-refresh.js';
import { measureCachedTokenCheck, type CachedTokenCheck } from './13c-cached-token-check.js';

/** Sign-ins on each API made before the timed ones, on accounts of their own, and not counted. */
const WARMUP = 3;
const KEYS = ['es256', 'hs256'] as const;
type Key = (typeof KEYS)[number];
/** 13a's targets: GET /me and GET /me-twin on each API (each is the public twin build). */
type MeKey = Key | 'es256Twin' | 'hs256Twin';

interface Latency {
  readonly medianMs: number;
  readonly p90Ms: number;
}

/** Figure 13. */
export interface Es256ManagedKeys {
  /** The managed API's signing key (its tokens' `kid`, listed in its key set). */
  readonly managedKid: string;
  /** 13c: the token check on a cache hit, in-process. */
  readonly cachedCheck: CachedTokenCheck;
  /** 13a: interleaved GET /me and GET /me-twin runs on each API. */
  readonly me: {
    readonly targets: Record<MeKey, { label: string } & RunSummary>;
    /** GET /me ÷ GET /me-twin on the managed ES256 API (one process), per round. */
    readonly es256OverTwin: RatioSummary;
    /** GET /me ÷ GET /me-twin on the static HS256 API, same rounds. */
    readonly hs256OverTwin: RatioSummary;
    /** GET /me, ES256 ÷ HS256 (two processes), same rounds. */
    readonly es256OverHs256: RatioSummary;
    /**
     * The null control: GET /me-twin on the managed API ÷ on the static one, the same work in
     * two processes. Its spread is what a ratio across processes (ES256 ÷ HS256) shows by chance.
     */
    readonly twinOverTwin: RatioSummary;
    /** The same four from server CPU time per request (requests per CPU-second). */
    readonly cpuNormalised: {
      readonly es256OverTwin: RatioSummary;
      readonly hs256OverTwin: RatioSummary;
      readonly es256OverHs256: RatioSummary;
      readonly twinOverTwin: RatioSummary;
    };
  };
  /** 13b: chained refresh runs (figure 4's method) on each API, interleaved. */
  readonly refresh: {
    readonly sessions: number;
    readonly runs: Record<Key, RunSummary & { readonly p90Ms: number; readonly chainChecksFailed: number }>;
    /** Rotations/s, ES256 ÷ HS256, per round. */
    readonly throughput: RatioSummary;
    /** Rotations per server CPU-second, ES256 ÷ HS256, per round (HS256's CPU per rotation ÷ ES256's). */
    readonly perCpuSecond: RatioSummary;
    /** Latency of the run, ES256 ÷ HS256, per round (above 1: ES256 slower). */
    readonly p50: RatioSummary;
    readonly p90: RatioSummary;
  };
  /** 13b: password sign-ins, one request at a time, alternating between the two APIs. */
  readonly signIn: {
    readonly samples: number;
    readonly es256: Latency;
    readonly hs256: Latency;
    /** ES256 ÷ HS256 (above 1: ES256 slower). */
    readonly median: number;
    readonly p90: number;
  };
}

/**
 * One route's two half-runs of round `index` (13a's A B B A blocks) as one run: requests/s the
 * mean of the two (equal durations), server CPU per request over both.
 */
function inRound(runs: readonly LoadResult[], index: number): Pick<LoadResult, 'rps' | 'serverCpuUsPerRequest'> {
  const [a, b] = [runs[2 * index], runs[2 * index + 1]];
  return {
    rps: (a.rps + b.rps) / 2,
    serverCpuUsPerRequest: (a.serverCpuUsPerRequest * a.ok + b.serverCpuUsPerRequest * b.ok) / (a.ok + b.ok),
  };
}

const latency = (values: number[]): Latency => ({ medianMs: round(percentile(values, 50)), p90Ms: round(percentile(values, 90)) });

/** A JWT's protected header. */
const tokenHeader = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as Record<string, unknown>;

/**
 * Figure 13 (issue 23): access tokens signed with managed ES256 keys, the default since issue
 * 23, beside a static HS256 secret, on two production APIs that differ by that alone (each its
 * own scratch SQLite file; the managed one with JWT_SECRET empty and KEY_ENCRYPTION_SECRET
 * given). Each is the public twin build (the API plus GET /me-twin, bench/public-twin/), so
 * that 13a compares GET /me with GET /me-twin within one process (a ratio across two processes
 * moves by chance as much as the guard costs: the null control, GET /me-twin on one ÷ on the
 * other), in interleaved throughput rounds as figure 1's (LOG_REQUESTS=all), one token per API,
 * so every request after the first is verified from the verified-token cache. 13b: refresh rotations (figure 4's chained
 * sessions) in interleaved rounds, and password sign-ins one at a time, alternating, ES256 ÷
 * HS256. Both APIs mail their new-device alerts to one SMTP sink that accepts at once.
 */
export async function measureEs256ManagedKeys(context: Context): Promise<Es256ManagedKeys> {
  const { settings } = context;
  // In-process, before any server runs beside it.
  const cachedCheck = await measureCachedTokenCheck();
  const sink = await new SmtpSink(0).start();
  const servers: ServerProcess[] = [];
  try {
    const common = { SMTP_URL: sink.url, LOG_REQUESTS: 'all' };
    const start = (key: Key, env: Record<string, string>) =>
      ServerProcess.start({
        name: `${key} API (public twin build)`,
        script: SCRIPTS.twin,
        cwd: context.scratch,
        env: { ...context.serverEnv, ...common, DATABASE_URL: `sqlite:${context.scratch}/${key}.sqlite`, ...env },
        readyPath: '/health',
      });
    const apis: Record<Key, ServerProcess> = {
      // Managed keys: no static key (an empty JWT_SECRET is unset) and the secret that seals them.
      es256: await start('es256', { JWT_SECRET: '', KEY_ENCRYPTION_SECRET: randomBytes(48).toString('base64url') }),
      hs256: await start('hs256', {}),
    };
    servers.push(apis.es256, apis.hs256);
    const clients: Record<Key, ApiClient> = { es256: new ApiClient(apis.es256.url), hs256: new ApiClient(apis.hs256.url) };

    const signInCount = WARMUP + settings.es256SignInSamples;
    const sessionUsers = Array.from({ length: settings.refreshSessions }, (_, i) => email(`keys-session-${i}`));
    const signInUsers = Array.from({ length: signInCount }, (_, i) => email(`keys-sign-in-${i}`));
    const reader = email('keys-reader');
    // 13a's one account first: its accounts for 13b are made after 13a, so that no password
    // hashing or mail (each registration queues one) runs in the background of 13a's rounds.
    await Promise.all(KEYS.map((key) => clients[key].register(reader, PASSWORD)));
    const tokens = {
      es256: await clients.es256.login(reader, PASSWORD, 'Bench phone'),
      hs256: await clients.hs256.login(reader, PASSWORD, 'Bench phone'),
    };

    // Each API signs as it should, and refreshes into the same algorithm.
    const jwks = (await (await fetch(`${apis.es256.url}/.well-known/jwks.json`)).json()) as { keys: { kid?: string; alg?: string }[] };
    const managed = tokenHeader(tokens.es256.access_token);
    check(managed.alg === 'ES256', `the managed API signs ES256 (header ${JSON.stringify(managed)})`);
    check(
      typeof managed.kid === 'string' && jwks.keys.some((key) => key.kid === managed.kid && key.alg === 'ES256'),
      `the managed API's kid ${String(managed.kid)} is in its /.well-known/jwks.json (${jwks.keys.map((key) => key.kid).join(', ')})`,
    );
    const fixed = tokenHeader(tokens.hs256.access_token);
    check(fixed.alg === 'HS256', `the static API signs HS256 (header ${JSON.stringify(fixed)})`);
    const staticJwks = (await (await fetch(`${apis.hs256.url}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
    check(staticJwks.keys.length === 0, 'the static HS256 API publishes no key');
    for (const key of KEYS) {
      const response = await fetch(`${apis[key].url}/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'refresh_token',
          refresh_token: (await clients[key].login(reader, PASSWORD, 'Bench probe')).refresh_token,
        }),
      });
      check(response.status === 200, `POST /auth/refresh on the ${key} API answered ${response.status}`);
      const refreshed = tokenHeader(((await response.json()) as TokenResponse).access_token);
      check(
        refreshed.alg === key.toUpperCase(),
        `a refreshed token of the ${key} API is ${key.toUpperCase()} (header ${JSON.stringify(refreshed)})`,
      );
    }
    check((await clients.es256.status('/me', tokens.es256.access_token)) === 200, 'managed ES256 API GET /me is 200');
    check((await clients.hs256.status('/me', tokens.hs256.access_token)) === 200, 'static HS256 API GET /me is 200');
    check((await clients.es256.status('/me', tokens.hs256.access_token)) === 401, 'the managed API refuses the HS256 token');
    check((await clients.hs256.status('/me', tokens.es256.access_token)) === 401, 'the static API refuses the ES256 token');
    for (const key of KEYS) check((await clients[key].status('/me-twin')) === 200, `${key} API GET /me-twin is 200 without a token`);

    // 13a, as figure 1: 10 connections, a warm-up run each, then rounds.
    const targets: { key: MeKey; label: string; server: ServerProcess; path: string; headers?: Record<string, string> }[] = [
      {
        key: 'es256',
        label: 'GET /me, managed ES256 API',
        server: apis.es256,
        path: '/me',
        headers: { authorization: `Bearer ${tokens.es256.access_token}` },
      },
      { key: 'es256Twin', label: 'GET /me-twin (no guard), managed ES256 API', server: apis.es256, path: '/me-twin' },
      {
        key: 'hs256',
        label: 'GET /me, static HS256 API',
        server: apis.hs256,
        path: '/me',
        headers: { authorization: `Bearer ${tokens.hs256.access_token}` },
      },
      { key: 'hs256Twin', label: 'GET /me-twin (no guard), static HS256 API', server: apis.hs256, path: '/me-twin' },
    ];
    const measure = (target: (typeof targets)[number], durationS: number) =>
      runLoad(target.server, { connections: settings.connections, path: target.path, headers: target.headers, durationS });
    for (const target of targets) await measure(target, settings.warmupS);
    const meRuns: Record<MeKey, LoadResult[]> = { es256: [], hs256: [], es256Twin: [], hs256Twin: [] };
    // Twice figure 1's rounds, in the same time: each round runs each API's two routes as
    // A B B A (a quarter of a run each), so that a drift of the machine's speed within the block
    // weighs the same on both routes; which route opens the block turns every round, which API
    // goes first every other round.
    const roundCount = 2 * settings.throughputRounds;
    const quarterS = settings.runS / 4;
    for (let roundIndex = 0; roundIndex < roundCount; roundIndex++) {
      const [es256Block, hs256Block] = [targets.slice(0, 2), targets.slice(2)].map((pair) => {
        const [first, second] = roundIndex % 2 === 0 ? pair : [...pair].reverse();
        return [first, second, second, first];
      });
      const order = Math.floor(roundIndex / 2) % 2 === 0 ? [...es256Block, ...hs256Block] : [...hs256Block, ...es256Block];
      for (const target of order) meRuns[target.key].push(await measure(target, quarterS));
      log(
        `ES256/HS256 GET /me round ${roundIndex + 1}/${roundCount}: ${targets.map((t) => `${t.key} ${Math.round(inRound(meRuns[t.key], roundIndex).rps)}/s`).join(', ')}`,
      );
    }
    const errors = Object.values(meRuns)
      .flat()
      .reduce((sum, run) => sum + run.errors, 0);
    check(errors === 0, `GET /me and /me-twin answered ${errors} errors under load`);
    const rounds = (runs: LoadResult[]) => Array.from({ length: roundCount }, (_, i) => inRound(runs, i));
    const perRound = (a: LoadResult[], b: LoadResult[]) => {
      const [x, y] = [rounds(a), rounds(b)];
      return ratioSummary(x.map((run, i) => run.rps / y[i].rps));
    };
    const perRoundCpu = (a: LoadResult[], b: LoadResult[]) => {
      const [x, y] = [rounds(a), rounds(b)];
      return ratioSummary(x.map((run, i) => y[i].serverCpuUsPerRequest / run.serverCpuUsPerRequest));
    };

    // 13b's accounts, the same on both APIs (separate databases); every sign-in account has one
    // device before its timed sign-in, as in figure 12.
    await Promise.all(
      KEYS.map(async (key) => {
        await registerAll(clients[key], [...sessionUsers, ...signInUsers]);
        for (let i = 0; i < signInUsers.length; i += 8)
          await Promise.all(signInUsers.slice(i, i + 8).map((user) => clients[key].login(user, PASSWORD, 'First phone')));
      }),
    );

    // 13b, refresh: figure 4's chained sessions, on each API in turn, the first one alternating.
    const refreshRuns: Record<Key, (LoadResult & { chainChecksFailed: number })[]> = { es256: [], hs256: [] };
    for (const key of KEYS) await chainedRefreshRun(apis[key], clients[key], sessionUsers, settings.warmupS);
    for (let roundIndex = 0; roundIndex < settings.refreshRounds; roundIndex++) {
      const order = roundIndex % 2 === 0 ? KEYS : [...KEYS].reverse();
      for (const key of order) refreshRuns[key].push(await chainedRefreshRun(apis[key], clients[key], sessionUsers, settings.refreshRunS));
      log(
        `ES256/HS256 refresh round ${roundIndex + 1}/${settings.refreshRounds}: ${order.map((key) => `${key} ${Math.round(refreshRuns[key].at(-1)!.rps)}/s p90 ${refreshRuns[key].at(-1)!.p90Ms} ms`).join(', ')}`,
      );
    }
    const refreshFailures = KEYS.flatMap((key) => refreshRuns[key]).reduce((sum, run) => sum + run.errors + run.chainChecksFailed, 0);
    check(refreshFailures === 0, `refresh runs had ${refreshFailures} errors or broken chains`);
    const refreshSummary = (key: Key) => ({
      ...summary(refreshRuns[key]),
      p90Ms: median(refreshRuns[key].map((run) => run.p90Ms)),
      chainChecksFailed: refreshRuns[key].reduce((sum, run) => sum + run.chainChecksFailed, 0),
    });
    const latencyRatio = (field: 'p50Ms' | 'p90Ms') =>
      ratioSummary(refreshRuns.es256.map((run, i) => run[field] / Math.max(refreshRuns.hs256[i][field], 0.001)));

    // 13b, sign-in: one password sign-in at a time, the two APIs alternating (which goes first
    // turns each sample), every account signed in once more on each.
    const times: Record<Key, number[]> = { es256: [], hs256: [] };
    for (let i = 0; i < signInCount; i++) {
      for (const key of i % 2 === 0 ? KEYS : [...KEYS].reverse()) {
        const started = performance.now();
        const answer = await clients[key].login(signInUsers[i], PASSWORD, 'Second phone');
        const ms = performance.now() - started;
        check(tokenHeader(answer.access_token).alg === key.toUpperCase(), `a sign-in on the ${key} API is ${key.toUpperCase()}`);
        if (i >= WARMUP) times[key].push(ms);
      }
    }
    const signIn = { es256: latency(times.es256), hs256: latency(times.hs256) };

    return {
      managedKid: managed.kid as string,
      cachedCheck,
      me: {
        targets: Object.fromEntries(
          targets.map((t) => [t.key, { label: t.label, ...summary(meRuns[t.key]) }]),
        ) as Es256ManagedKeys['me']['targets'],
        es256OverTwin: perRound(meRuns.es256, meRuns.es256Twin),
        hs256OverTwin: perRound(meRuns.hs256, meRuns.hs256Twin),
        es256OverHs256: perRound(meRuns.es256, meRuns.hs256),
        twinOverTwin: perRound(meRuns.es256Twin, meRuns.hs256Twin),
        cpuNormalised: {
          es256OverTwin: perRoundCpu(meRuns.es256, meRuns.es256Twin),
          hs256OverTwin: perRoundCpu(meRuns.hs256, meRuns.hs256Twin),
          es256OverHs256: perRoundCpu(meRuns.es256, meRuns.hs256),
          twinOverTwin: perRoundCpu(meRuns.es256Twin, meRuns.hs256Twin),
        },
      },
      refresh: {
        sessions: sessionUsers.length,
        runs: { es256: refreshSummary('es256'), hs256: refreshSummary('hs256') },
        throughput: ratioSummary(refreshRuns.es256.map((run, i) => run.rps / refreshRuns.hs256[i].rps)),
        perCpuSecond: ratioSummary(
          refreshRuns.es256.map((run, i) => refreshRuns.hs256[i].serverCpuUsPerRequest / run.serverCpuUsPerRequest),
        ),
        p50: latencyRatio('p50Ms'),
        p90: latencyRatio('p90Ms'),
      },
      signIn: {
        samples: settings.es256SignInSamples,
        ...signIn,
        median: round(signIn.es256.medianMs / signIn.hs256.medianMs, 3),
        p90: round(signIn.es256.p90Ms / signIn.hs256.p90Ms, 3),
      },
    };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await sink.stop();
  }
}
