import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ApiClient } from '../support/api-client.js';
import { BUILT, check, email, log, PASSWORD, sleep, startApi, type Context } from '../support/context.js';
import { percentile, round } from '../support/stats.js';

/** Figure 13. */
export interface SsfPushLatency {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';

/** `npm run ssf -- add-receiver …` against the run's database; returns the printed token. */
function addReceiver(env: Record<string, string>, name: string, audience: string): Promise<string> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [join(BUILT, 'apps/cli/src/main.js'), 'ssf', 'add-receiver', name, audience],
      { env: { PATH: process.env.PATH ?? '', ...env } },
      (error, stdout, stderr) => (error ? fail(new Error(`ssf add-receiver: ${stderr}`)) : done(stdout.split('\n')[1]!.trim())),
    );
  });
}

/**
 * Figure 14 (API.md § Shared Signals: a revocation reaches a push receiver within 1 s, p99): a
 * production API with an ES256 key, one push stream to a local receiver (node:http, answering
 * 202), and one device signed out at a time; each sample is the time from the logout's answer
 * arriving to the SET about that device arriving at the receiver (by its `sub_id.session.id`;
 * the receiver here only decodes, the e2e tests verify). Samples are spread over the sender's
 * 250 ms tick by a random pause between them.
 */
export async function measureSsfPushLatency(context: Context): Promise<SsfPushLatency> {
  const samples = context.settings.ssfSamples;
  const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const arrivals = new Map<string, number>();
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const at = performance.now();
      try {
        const claims = JSON.parse(Buffer.from(Buffer.concat(chunks).toString().split('.')[1]!, 'base64url').toString()) as {
          sub_id?: { session?: { id?: string } };
        };
        const session = claims.sub_id?.session?.id;
        if (session && !arrivals.has(session)) arrivals.set(session, at);
      } catch {
        // not a SET: counted as missing below
      }
      response.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const pushUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/ssf`;
  // Migrate first (the CLI does), so that the receiver exists before the API starts.
  const env = { ...context.serverEnv, JWT_PRIVATE_KEY: pem };
  const token = await addReceiver(env, `bench-${Date.now()}`, 'https://bench.receiver.example');
  const api = await startApi(context, context.databaseUrl, { JWT_PRIVATE_KEY: pem });
  try {
    const created = await fetch(`${api.url}/ssf/streams`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: pushUrl }, events_requested: [SESSION_REVOKED] }),
    });
    check(created.status === 201, `the stream is created (${created.status})`);
    const client = new ApiClient(api.url);
    const user = email('ssf-push');
    await client.register(user, PASSWORD);
    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const tokens = await client.login(user, PASSWORD, `SSF ${i}`);
      check((await client.logout(tokens.access_token)) === 204, 'logout answers 204');
      const answered = performance.now();
      const deadline = answered + 5000;
      while (!arrivals.has(tokens.device_id)) {
        check(performance.now() < deadline, 'the SET arrives within 5 s');
        await sleep(1);
      }
      latencies.push(Math.max(0, arrivals.get(tokens.device_id)! - answered));
      await sleep(Math.random() * 250);
    }
    latencies.sort((a, b) => a - b);
    const figure = {
      samples: latencies.length,
      p50Ms: round(percentile(latencies, 50), 1),
      p99Ms: round(percentile(latencies, 99), 1),
      maxMs: round(latencies.at(-1)!, 1),
    };
    log(`SSF push latency: p50 ${figure.p50Ms} ms, p99 ${figure.p99Ms} ms, max ${figure.maxMs} ms`);
    return figure;
  } finally {
    await api.stop();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
}
