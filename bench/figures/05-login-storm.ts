import type { ApiClient } from '../support/api-client.js';
import { log, PASSWORD, sleep, type Context } from '../support/context.js';
import { probeLatency, type ProbeResult } from '../support/latency-probe.js';
import type { ServerProcess } from '../support/server-process.js';
import { median, round } from '../support/stats.js';

interface LatencySummary {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly errors: number;
}

/** Figure 5. */
export interface LoginStormFigures {
  readonly concurrentLogins: number;
  readonly meRate: number;
  readonly quiet: LatencySummary;
  readonly storm: LatencySummary;
  readonly logins: { readonly perSecond: number; readonly p50Ms: number; readonly failures: number };
  readonly rounds: {
    readonly quietP99Ms: number;
    readonly stormP99Ms: number;
    readonly stormMaxMs: number;
    readonly logins: number;
    readonly failures: number;
    readonly p50Ms: number;
    readonly perSecond: number;
  }[];
}

/**
 * Figure 5: does password hashing starve the request path? GET /me latency at a steady rate,
 * alone and while 16 logins are in flight (each login loop starts the next as soon as one
 * returns, so 16 are always hashing or queued to hash), on a running API with registered users.
 */
export async function measureLoginStorm(
  context: Context,
  api: ServerProcess,
  client: ApiClient,
  users: readonly string[],
): Promise<LoginStormFigures> {
  const { settings } = context;
  const tokens = await client.login(users[0], PASSWORD, 'Bench storm reader');
  const probe = {
    url: api.url,
    path: '/me',
    headers: { authorization: `Bearer ${tokens.access_token}` },
    rate: settings.stormMeRate,
    durationS: settings.stormRunS,
  };
  await probeLatency({ ...probe, durationS: 1 }); // warm-up
  const quiet: ProbeResult[] = [];
  const stormy: ProbeResult[] = [];
  const loginStats: { logins: number; failures: number; p50Ms: number; perSecond: number }[] = [];
  for (let roundIndex = 0; roundIndex < settings.stormRounds; roundIndex++) {
    quiet.push(await probeLatency(probe));

    let stop = false;
    const latencies: number[] = [];
    let failures = 0;
    const loop = async (user: string, i: number) => {
      for (let n = 0; !stop && n < settings.stormMaxLoginsPerLoop; n++) {
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
      `login storm round ${roundIndex + 1}/${settings.stormRounds}: GET /me p99 ${quiet.at(-1)!.p99Ms} ms alone, ` +
        `${stormy.at(-1)!.p99Ms} ms during ${users.length} logins (${latencies.length} logins, ${failures} failed)`,
    );
  }
  const errors = (results: ProbeResult[]) => results.reduce((sum, r) => sum + r.errors, 0);
  return {
    concurrentLogins: users.length,
    meRate: settings.stormMeRate,
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
