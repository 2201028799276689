import { execFileSync } from 'node:child_process';
import { SCRIPTS } from '../support/context.js';

/** Figure 10. */
export interface ReplayCacheMemory {
  readonly entries: number;
  readonly sixteenOwnersMiB: number;
  readonly everyProofItsOwnerMiB: number;
}

/**
 * Figure 10: the DPoP replay cache's heap at its cap (DPOP_REPLAY_CACHE_SIZE's default), with 16
 * owners and with one owner per proof, so that the cap's memory cost is known. Measured by
 * bench/replay-cache-memory/main.ts in a process of its own (it needs --expose-gc).
 */
export function measureReplayCacheMemory(): ReplayCacheMemory {
  const output = execFileSync(process.execPath, ['--expose-gc', SCRIPTS.replayCacheMemory], { encoding: 'utf8' });
  return JSON.parse(output) as ReplayCacheMemory;
}
