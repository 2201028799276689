// How interleaved runs are summed up: medians of one target's runs, and ratios taken per round.
import type { LoadResult } from './load.js';
import { median, round } from './stats.js';

/** Medians of interleaved runs of one target. */
export interface RunSummary {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly serverCores: number;
  readonly clientCores: number;
  readonly serverCpuUsPerRequest: number;
}

/** A ratio taken per round: its median, minimum, maximum and every round's. */
export interface RatioSummary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly rounds: number[];
}

export function summary(results: readonly LoadResult[]): RunSummary {
  return {
    rps: round(median(results.map((r) => r.rps)), 0),
    p50Ms: median(results.map((r) => r.p50Ms)),
    p99Ms: median(results.map((r) => r.p99Ms)),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    serverCores: round(median(results.map((r) => r.serverCores))),
    clientCores: round(median(results.map((r) => r.clientCores))),
    serverCpuUsPerRequest: round(median(results.map((r) => r.serverCpuUsPerRequest)), 0),
  };
}

export function ratioSummary(values: readonly number[]): RatioSummary {
  return {
    median: round(median(values), 3),
    min: round(Math.min(...values), 3),
    max: round(Math.max(...values), 3),
    rounds: values.map((v) => round(v, 3)),
  };
}
