// What every figure is given (the run's settings, scratch folder, databases, secret and server
// environment) and the few steps they share: starting the API, registering accounts, checks.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppConfig } from '@app/platform';
import type { ApiClient } from './api-client.js';
import { ServerProcess } from './server-process.js';

/** Every loop of the figures is bounded by these counts and durations (BENCH_QUICK=1: `quick`). */
export function benchSettings(quick: boolean) {
  return {
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
    /** Sign-ins timed per kind (password, password + TOTP, passkey), one at a time, interleaved; an account each. */
    strongSignInSamples: quick ? 12 : 100,
    /** Password sign-ins timed on each API of figure 13 (managed ES256, static HS256), one at a time, alternating; an account each. */
    es256SignInSamples: quick ? 12 : 100,
    memory: { users: 10_000, devicesPerUser: 10, revokeEvery: 10 },
    /** Revocations timed across two processes, per database. */
    spreadSamples: quick ? 12 : 60,
    /** Figure 13: revocations whose SET is timed to a push receiver. */
    ssfSamples: quick ? 20 : 50,
    /** The whole run gives up (between sections) past this. */
    deadlineS: 12 * 60,
  } as const;
}

export type BenchSettings = ReturnType<typeof benchSettings>;

export interface Context {
  readonly settings: BenchSettings;
  readonly scratch: string;
  readonly databaseUrl: string;
  readonly sqlite: boolean;
  /** A scratch PostgreSQL database for the figures measured on both (null: no server reachable). */
  readonly postgresUrl: string | null;
  readonly secret: string;
  readonly config: AppConfig;
  /** The revocation feed's token: the API's REVOCATION_FEED_TOKEN, for a service outside (9). */
  readonly feedToken: string;
  readonly serverEnv: Record<string, string>;
  readonly deadline: number;
}

export const PASSWORD = 'bench-password-123';
/** Keeps emails (and the scratch PostgreSQL database's name) unique to this run. */
export const RUN_ID = randomBytes(4).toString('hex');
/** An email of this run: unique when BENCH_DATABASE_URL points at a database that was used before. */
export const email = (name: string) => `bench-${RUN_ID}-${name}@example.com`;

/** dist/, where this file runs from (dist/bench/support/). */
export const BUILT = fileURLToPath(new URL('../..', import.meta.url));
export const SCRIPTS = {
  api: join(BUILT, 'apps/api/src/main.js'),
  databaseGuard: join(BUILT, 'bench/database-guard/main.js'),
  bare: join(BUILT, 'bench/bare-server/main.js'),
  twin: join(BUILT, 'bench/public-twin/main.js'),
  replayCacheMemory: join(BUILT, 'bench/replay-cache-memory/main.js'),
  // Plain JavaScript, as a service outside would be: run from the source tree.
  outsideService: join(BUILT, '..', 'bench/outside-service/server.js'),
};

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
export const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

export function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`sanity check failed: ${message}`);
}

export function startApi(context: Context, databaseUrl = context.databaseUrl, env: Record<string, string> = {}): Promise<ServerProcess> {
  return ServerProcess.start({
    name: 'api',
    script: SCRIPTS.api,
    cwd: context.scratch,
    env: { ...context.serverEnv, DATABASE_URL: databaseUrl, ...env },
    readyPath: '/health',
  });
}

/**
 * Registers accounts a few at a time: the API hashes passwords in a fair queue that answers
 * 503 past one client's share (PASSWORD_QUEUE_LIMIT), as it should to a burst from one client.
 */
export async function registerAll(client: ApiClient, users: readonly string[]): Promise<void> {
  for (let i = 0; i < users.length; i += 8) await Promise.all(users.slice(i, i + 8).map((user) => client.register(user, PASSWORD)));
}
