import { createRequire } from 'node:module';
import type { ServerProcess } from './server-process.js';

// autocannon ships no types; these are the parts of its programmatic API the harness uses.
export interface LoadRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: LoadRequest, context: Record<string, unknown>) => LoadRequest;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}

/** One autocannon connection. */
export interface LoadClient {
  setRequests(requests: LoadRequest[]): void;
}

interface AutocannonOptions extends LoadRequest {
  url: string;
  connections: number;
  /** Seconds. */
  duration: number;
  /** Requests per second over all connections; unlimited when absent. */
  overallRate?: number;
  setupClient?: (client: LoadClient) => void;
}

interface AutocannonResult {
  duration: number;
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  requests: { total: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
}

const autocannon = createRequire(import.meta.url)('autocannon') as (options: AutocannonOptions) => Promise<AutocannonResult>;

export interface LoadSpec extends LoadRequest {
  readonly connections: number;
  readonly durationS: number;
  readonly overallRate?: number;
  readonly setupClient?: (client: LoadClient) => void;
}

export interface LoadResult {
  /** 2xx responses per second. */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly ok: number;
  /** Non-2xx answers, socket errors, timeouts and body mismatches. */
  readonly errors: number;
  /** CPU the server used, in cores (1.0 = one core busy for the whole run). */
  readonly serverCores: number;
  /** CPU the load generator (this process) used, in cores. */
  readonly clientCores: number;
  /**
   * Server CPU time per 2xx response, in microseconds: unlike requests/s, barely moved by
   * other processes competing for the cores.
   */
  readonly serverCpuUsPerRequest: number;
}

/** One autocannon run against one server process, with both sides' CPU use. */
export async function runLoad(server: ServerProcess, spec: LoadSpec): Promise<LoadResult> {
  const serverCpuBefore = server.cpuSeconds();
  const clientCpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const { connections, durationS, path = '/', ...rest } = spec;
  // autocannon lets an explicit `undefined` override its defaults, so only set keys are
  // passed; and it takes the path from the URL (a separate `path` option is ignored).
  const defined = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  const result = await autocannon({ ...defined, url: `${server.url}${path}`, connections, duration: durationS });
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const serverCpuS = server.cpuSeconds() - serverCpuBefore;
  return {
    rps: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    ok: result['2xx'],
    errors: result.non2xx + result.errors + result.timeouts + result.mismatches,
    serverCores: serverCpuS / wallS,
    clientCores: (clientCpu.user + clientCpu.system) / 1e6 / wallS,
    serverCpuUsPerRequest: result['2xx'] > 0 ? (serverCpuS * 1e6) / result['2xx'] : NaN,
  };
}
