import { Agent, request } from 'node:http';
import { median, percentile } from './stats.js';

export interface ProbeSpec {
  readonly url: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  /** Requests per second, sent on a fixed schedule whatever the answers do (open loop). */
  readonly rate: number;
  readonly durationS: number;
}

export interface ProbeResult {
  readonly sent: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

const TICK_MS = 1;
const DRAIN_TIMEOUT_MS = 30_000;

/**
 * Latency at a steady, modest request rate. autocannon's rate limit sends each second's quota
 * in one burst at the start of the second, so its latencies measure that burst's queue; here
 * request i leaves at start + i/rate (to the timer's millisecond) whether or not earlier ones
 * were answered (open loop), so a stalled server cannot hide behind requests that were never
 * sent. Latency runs from the moment the request is handed to node:http, so waiting for a
 * free socket counts, but this process's own timer granularity does not.
 */
export async function probeLatency(spec: ProbeSpec): Promise<ProbeResult> {
  const { hostname, port } = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const total = Math.round(spec.rate * spec.durationS);
  const latencies: number[] = [];
  let errors = 0;
  let settled = 0;
  let sent = 0;
  let allSettled: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allSettled = resolve));

  const settle = (sentAt: number, ok: boolean) => {
    if (ok) latencies.push(performance.now() - sentAt);
    else errors++;
    if (++settled === total) allSettled();
  };
  const fire = () => {
    const sentAt = performance.now();
    const call = request({ agent, host: hostname, port, path: spec.path, headers: spec.headers, timeout: 10_000 }, (response) => {
      response.resume();
      response.once('end', () => settle(sentAt, response.statusCode === 200));
      response.once('error', () => settle(sentAt, false));
    });
    call.once('timeout', () => call.destroy(new Error('timeout')));
    call.once('error', () => settle(sentAt, false));
    call.end();
  };

  const start = performance.now();
  const timer = setInterval(() => {
    // Request i is due at start + i/rate: by time t, requests 0 … floor(t·rate) are due.
    const due = Math.min(total, Math.floor(((performance.now() - start) * spec.rate) / 1000) + 1);
    for (; sent < due; sent++) fire();
    if (sent === total) clearInterval(timer);
  }, TICK_MS);
  let timeout: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise<void>((resolve) => (timeout = setTimeout(resolve, spec.durationS * 1000 + DRAIN_TIMEOUT_MS)))]);
  clearInterval(timer);
  clearTimeout(timeout);
  agent.destroy();

  const sorted = [...latencies].sort((a, b) => a - b);
  const round1 = (value: number) => Math.round(value * 10) / 10;
  return {
    sent,
    errors: errors + (total - settled),
    p50Ms: round1(median(sorted)),
    p99Ms: round1(percentile(sorted, 99)),
    maxMs: round1(sorted.at(-1) ?? NaN),
  };
}
