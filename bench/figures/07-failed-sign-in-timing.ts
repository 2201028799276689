import { ApiClient } from '../support/api-client.js';
import { check, email, PASSWORD, startApi, type Context } from '../support/context.js';
import { median, round } from '../support/stats.js';

/** Figure 7. */
export interface FailedSignInTiming {
  readonly samples: number;
  readonly known: { readonly medianMs: number; readonly meanMs: number };
  readonly unknown: { readonly medianMs: number; readonly meanMs: number };
  readonly medianRatio: number;
  readonly welchZ: number;
}

/**
 * Figure 7: does a failed sign-in take longer for an existing account than for an unknown
 * email? It must not (account enumeration by timing). One request at a time, the two kinds
 * alternating, so that drift of the machine hits both alike; Welch's z on the means says
 * whether any difference stands out from the noise.
 */
export async function measureFailedSignInTiming(context: Context): Promise<FailedSignInTiming> {
  const { settings } = context;
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
    for (let sample = 0; sample < settings.failedSignInSamples; sample++) {
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
      samples: settings.failedSignInSamples,
      known: { medianMs: existing.medianMs, meanMs: existing.meanMs },
      unknown: { medianMs: unknown.medianMs, meanMs: unknown.meanMs },
      medianRatio: round(existing.medianMs / unknown.medianMs, 3),
      welchZ: round(z),
    };
  } finally {
    await api.stop();
  }
}
