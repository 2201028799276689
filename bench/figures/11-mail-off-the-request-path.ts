import { ApiClient } from '../support/api-client.js';
import { check, email, PASSWORD, startApi, type Context } from '../support/context.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { percentile, round } from '../support/stats.js';

/** How long the slow SMTP server takes to accept each mail. */
const SLOW_SMTP_MS = 2000;

interface TimedRequests {
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Figure 11. */
export interface MailOffTheRequestPath {
  readonly samples: number;
  readonly slowSmtpMs: number;
  readonly registration: { readonly slow: TimedRequests; readonly instant: TimedRequests; readonly p99Ratio: number };
  readonly signIn: { readonly slow: TimedRequests; readonly instant: TimedRequests; readonly p99Ratio: number };
  readonly mailsAccepted: { readonly slow: number; readonly instant: number };
  readonly forgotPassword: {
    readonly knownMedianMs: number;
    readonly unknownMedianMs: number;
    readonly medianRatio: number;
    readonly welchZ: number;
  };
}

const summary = (values: number[]): TimedRequests => ({ p50Ms: round(percentile(values, 50)), p99Ms: round(percentile(values, 99)) });

/**
 * Figure 11 (API.md § Accounts: mail never delays a request): registration (which queues a
 * verification mail) and a second device's sign-in (which queues a new-device alert) on two
 * production APIs side by side, one mailing to an SMTP server that takes 2 s per mail, one to a
 * server that accepts at once; the requests alternate between them one at a time, so the
 * machine's drift hits both. Then POST /auth/password/forgot for addresses with and without an
 * account, alternating (each from its own client address, past the per-IP limit): the answer
 * must not tell them apart (Welch's z, as figure 7).
 */
export async function measureMailOffTheRequestPath(context: Context): Promise<MailOffTheRequestPath> {
  const samples = context.settings.failedSignInSamples;
  const slowSink = await new SmtpSink(SLOW_SMTP_MS).start();
  const instantSink = await new SmtpSink(0).start();
  const env = (sink: SmtpSink, name: string) => ({
    SMTP_URL: sink.url,
    TRUST_PROXY: '127.0.0.1',
    DATABASE_URL: `sqlite:${context.scratch}/${name}.sqlite`,
  });
  const slow = await startApi(context, undefined, env(slowSink, 'mail-slow'));
  const instant = await startApi(context, undefined, env(instantSink, 'mail-instant'));
  try {
    const clients = { slow: new ApiClient(slow.url), instant: new ApiClient(instant.url) };
    const times = {
      registration: { slow: [] as number[], instant: [] as number[] },
      signIn: { slow: [] as number[], instant: [] as number[] },
    };
    const timed = async (work: () => Promise<unknown>) => {
      const started = performance.now();
      await work();
      return performance.now() - started;
    };
    for (let sample = 0; sample < samples; sample++) {
      const order = sample % 2 === 0 ? (['slow', 'instant'] as const) : (['instant', 'slow'] as const);
      for (const kind of order) {
        const client = clients[kind];
        const address = email(`mail-${kind}-${sample}`);
        times.registration[kind].push(await timed(() => client.register(address, PASSWORD)));
        await client.login(address, PASSWORD, 'First phone');
        times.signIn[kind].push(await timed(() => client.login(address, PASSWORD, 'Second phone')));
      }
    }

    // Forgot password: known (registered above, on the slow-mail API) vs unknown addresses.
    const forgot = { known: [] as number[], unknown: [] as number[] };
    const ask = async (address: string, sample: number) => {
      const started = performance.now();
      const response = await fetch(`${slow.url}/auth/password/forgot`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.11.${Math.floor(sample / 200)}.${sample % 200}` },
        body: JSON.stringify({ email: address }),
      });
      await response.arrayBuffer();
      check(response.status === 202, `forgot password answered ${response.status}`);
      return performance.now() - started;
    };
    for (let sample = 0; sample < samples; sample++) {
      const order = sample % 2 === 0 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const);
      for (const kind of order)
        forgot[kind].push(
          await ask(
            kind === 'known' ? email(`mail-slow-${sample}`) : email(`forgot-unknown-${sample}`),
            sample * 2 + (kind === 'known' ? 0 : 1),
          ),
        );
    }
    const stats = (values: number[]) => {
      const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
      const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1);
      return { median: percentile(values, 50), mean, variance };
    };
    const known = stats(forgot.known);
    const unknown = stats(forgot.unknown);
    const registration = { slow: summary(times.registration.slow), instant: summary(times.registration.instant) };
    const signIn = { slow: summary(times.signIn.slow), instant: summary(times.signIn.instant) };
    check(
      instantSink.accepted >= samples,
      `the instant SMTP server accepted ${instantSink.accepted} mails, fewer than the ${samples} registrations`,
    );
    return {
      samples,
      slowSmtpMs: SLOW_SMTP_MS,
      registration: { ...registration, p99Ratio: round(registration.slow.p99Ms / registration.instant.p99Ms, 3) },
      signIn: { ...signIn, p99Ratio: round(signIn.slow.p99Ms / signIn.instant.p99Ms, 3) },
      mailsAccepted: { slow: slowSink.accepted, instant: instantSink.accepted },
      forgotPassword: {
        knownMedianMs: round(known.median),
        unknownMedianMs: round(unknown.median),
        medianRatio: round(known.median / unknown.median, 3),
        welchZ: round(
          (known.mean - unknown.mean) / Math.sqrt(known.variance / forgot.known.length + unknown.variance / forgot.unknown.length),
        ),
      },
    };
  } finally {
    await Promise.all([slow.stop(), instant.stop()]);
    await Promise.all([slowSink.stop(), instantSink.stop()]);
  }
}
