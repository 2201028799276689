import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { generate } from 'otplib';
import { ApiClient } from '../support/api-client.js';
import { check, email, PASSWORD, registerAll, startApi, type Context } from '../support/context.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { SoftwareAuthenticator } from '../support/software-authenticator.js';
import { percentile, round } from '../support/stats.js';

/**
 * The relying party of the API under test: WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS default to
 * DASHBOARD_URL's host and origin, and the software authenticator signs for the same.
 */
const DASHBOARD_URL = 'https://dash.bench.test';
const ORIGIN = new URL(DASHBOARD_URL).origin;
/** RFC 6238 as the API checks it (SecondFactor): 30-second steps. */
const STEP_S = 30;
/** Sign-ins of each kind made before the timed ones, on accounts of their own, and not counted. */
const WARMUP = 3;
const KINDS = ['password', 'totp', 'passkey'] as const;
type Kind = (typeof KINDS)[number];
/** The six orders of the three kinds, one per round in turn. */
const ORDERS: readonly (readonly Kind[])[] = KINDS.flatMap((first) =>
  KINDS.filter((second) => second !== first).map((second) => [first, second, KINDS.find((k) => k !== first && k !== second)!]),
);

interface Latency {
  readonly medianMs: number;
  readonly p90Ms: number;
}

/** Figure 12. */
export interface StrongSignIn {
  readonly samples: number;
  /** `POST /auth/login` → 200. */
  readonly password: Latency;
  /** `POST /auth/login` → 401 `mfa_required`, then `POST /auth/login/mfa` with a code → 200: both requests' times summed. */
  readonly totp: Latency & { readonly loginMedianMs: number; readonly codeMedianMs: number };
  /** `POST /auth/passkey/options` → 200, then `POST /auth/passkey/login` with an assertion → 200: both requests' times summed. */
  readonly passkey: Latency & { readonly optionsMedianMs: number; readonly loginMedianMs: number };
  readonly passkeyOverPassword: { readonly median: number; readonly p90: number };
  readonly totpOverPassword: { readonly median: number; readonly p90: number };
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly ms: number;
}

const latency = (values: number[]): Latency => ({ medianMs: round(percentile(values, 50)), p90Ms: round(percentile(values, 90)) });

/** The code an authenticator app shows `steps` 30-second steps from now. */
const totpCode = (secret: string, steps = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * STEP_S });

/**
 * Figure 12 (API.md § Strong authentication): how long a sign-in takes with a passkey alone,
 * and with a password and a TOTP code, beside one with the password alone, on one production
 * API. Each sample signs in one account of each kind, one request at a time, the order of the
 * three kinds turning through all six from one sample to the next so that the machine's drift
 * hits all alike. Every account is used once (a TOTP code is accepted once per account and
 * step; passkey and password accounts likewise have a single earlier device), all made in
 * setup: registered, signed in once, and then TOTP enrolled and confirmed, or a passkey
 * registered by the software authenticator. A two-request sign-in's time is the sum of its two
 * requests; what the client does between them (the authenticator's signature, the app's code)
 * is not counted. Any answer but the expected one (a 429 included) fails the figure.
 */
export async function measureStrongSignIn(context: Context): Promise<StrongSignIn> {
  const samples = context.settings.strongSignInSamples;
  // New-device alerts are mailed for every one of these sign-ins: to a server that accepts at
  // once, so that no sender retries in the background.
  const sink = await new SmtpSink(0).start();
  const api = await startApi(context, `sqlite:${context.scratch}/strong-sign-in.sqlite`, { SMTP_URL: sink.url, DASHBOARD_URL }).catch(
    async (error: unknown) => {
      await sink.stop();
      throw error;
    },
  );
  const call = async (path: string, body: unknown, accessToken?: string): Promise<Answer> => {
    const started = performance.now();
    const response = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'device-auth-bench',
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    const ms = performance.now() - started;
    check(response.status !== 429, `${path} answered 429 (a rate limit): ${text}`);
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, ms };
  };
  const expect = (answer: Answer, status: number, what: string) =>
    check(answer.status === status, `${what} answered ${answer.status}, not ${status}: ${JSON.stringify(answer.body)}`);
  const device = (name: string) => ({ name, platform: 'android' });
  const signIn = async (address: string): Promise<string> => {
    const answer = await call('/auth/login', { email: address, password: PASSWORD, device: device('First phone') });
    expect(answer, 200, `the first sign-in of ${address}`);
    return answer.body.access_token as string;
  };

  try {
    const count = WARMUP + samples;
    const accounts = (kind: Kind) => Array.from({ length: count }, (_, i) => email(`strong-${kind}-${i}`));
    const password = accounts('password');
    const totp = accounts('totp');
    const passkey = accounts('passkey');
    await registerAll(new ApiClient(api.url), [...password, ...totp, ...passkey]);
    // Every account has one device before its timed sign-in.
    for (const address of password) await signIn(address);
    const secrets: string[] = [];
    for (const address of totp) {
      const token = await signIn(address);
      const enrolment = await call('/account/totp', {}, token);
      expect(enrolment, 200, 'POST /account/totp');
      const secret = enrolment.body.secret as string;
      // Confirmed with the previous step's code, which spends that step: the sign-in's code,
      // of the then current step, is later. Once more if a step began in between.
      let confirmed = await call('/account/totp/confirm', { code: await totpCode(secret, -1) }, token);
      if (confirmed.status === 400) confirmed = await call('/account/totp/confirm', { code: await totpCode(secret, -1) }, token);
      expect(confirmed, 200, 'POST /account/totp/confirm');
      secrets.push(secret);
    }
    const authenticators: SoftwareAuthenticator[] = [];
    for (const address of passkey) {
      const token = await signIn(address);
      const options = await call('/account/passkeys/options', {}, token);
      expect(options, 200, 'POST /account/passkeys/options');
      const authenticator = new SoftwareAuthenticator();
      const added = await call(
        '/account/passkeys',
        {
          response: authenticator.register(options.body as unknown as PublicKeyCredentialCreationOptionsJSON, { origin: ORIGIN }),
          name: 'Bench',
        },
        token,
      );
      expect(added, 201, 'POST /account/passkeys');
      authenticators.push(authenticator);
    }

    // One timed sign-in of each kind on account i: its requests' times, first and second.
    const timed: Record<Kind, (i: number) => Promise<[number, number]>> = {
      password: async (i) => {
        const answer = await call('/auth/login', { email: password[i], password: PASSWORD, device: device('Second phone') });
        expect(answer, 200, 'a password sign-in');
        return [answer.ms, 0];
      },
      totp: async (i) => {
        const first = await call('/auth/login', { email: totp[i], password: PASSWORD, device: device('Second phone') });
        expect(first, 401, 'a TOTP account’s password step');
        check(first.body.error === 'mfa_required', `a TOTP account’s password step answered ${JSON.stringify(first.body)}`);
        const code = await totpCode(secrets[i]);
        const second = await call('/auth/login/mfa', { mfaToken: first.body.mfaToken, code });
        expect(second, 200, 'POST /auth/login/mfa');
        return [first.ms, second.ms];
      },
      passkey: async (i) => {
        const options = await call('/auth/passkey/options', {});
        expect(options, 200, 'POST /auth/passkey/options');
        const { challengeId, options: requestOptions } = options.body as {
          challengeId: string;
          options: PublicKeyCredentialRequestOptionsJSON;
        };
        const response = authenticators[i].assert(requestOptions, { origin: ORIGIN });
        const login = await call('/auth/passkey/login', { challengeId, response, device: device('Second phone') });
        expect(login, 200, 'POST /auth/passkey/login');
        check(typeof login.body.access_token === 'string', 'a passkey sign-in answered no access token');
        return [options.ms, login.ms];
      },
    };
    const times: Record<Kind, [number, number][]> = { password: [], totp: [], passkey: [] };
    for (let i = 0; i < count; i++) {
      for (const kind of ORDERS[i % ORDERS.length]) {
        const split = await timed[kind](i);
        if (i >= WARMUP) times[kind].push(split);
      }
    }
    const total = (kind: Kind) => times[kind].map(([first, second]) => first + second);
    const part = (kind: Kind, which: 0 | 1) =>
      round(
        percentile(
          times[kind].map((split) => split[which]),
          50,
        ),
      );
    const result = { password: latency(total('password')), totp: latency(total('totp')), passkey: latency(total('passkey')) };
    const over = (kind: Latency) => ({
      median: round(kind.medianMs / result.password.medianMs, 3),
      p90: round(kind.p90Ms / result.password.p90Ms, 3),
    });
    return {
      samples,
      password: result.password,
      totp: { ...result.totp, loginMedianMs: part('totp', 0), codeMedianMs: part('totp', 1) },
      passkey: { ...result.passkey, optionsMedianMs: part('passkey', 0), loginMedianMs: part('passkey', 1) },
      passkeyOverPassword: over(result.passkey),
      totpOverPassword: over(result.totp),
    };
  } finally {
    await api.stop();
    await sink.stop();
  }
}
