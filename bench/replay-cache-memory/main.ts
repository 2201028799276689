// The DPoP replay cache's memory at its cap (BENCHMARKS.md, figure 10): the real class, filled
// to DPOP_REPLAY_CACHE_SIZE's default with entries shaped as the server makes them (a 43-character
// key thumbprint, a 22-character jti), once with 16 owners (each at its share) and once with a
// different owner per proof (the worst case). Run with --expose-gc; prints one JSON line.
import { randomBytes } from 'node:crypto';
import { DEFAULT_REPLAY_CACHE_SIZE } from '../../libs/auth/src/dpop/dpop-proof.verifier.js';
import { DpopReplayCache } from '../../libs/auth/src/dpop/dpop-replay-cache.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function heapMiB(owners: number): number {
  const thumbprints = Array.from({ length: owners }, () => randomBytes(32).toString('base64url'));
  gc!();
  const before = process.memoryUsage().heapUsed;
  const cache = new DpopReplayCache(DEFAULT_REPLAY_CACHE_SIZE, 65_000);
  for (let i = 0; i < DEFAULT_REPLAY_CACHE_SIZE; i++) {
    const jkt = thumbprints[i % owners];
    cache.remember(jkt, `${jkt}:${randomBytes(16).toString('base64url')}`, 0);
  }
  if (cache.size(0) !== DEFAULT_REPLAY_CACHE_SIZE) throw new Error('the cache did not fill');
  gc!();
  const used = process.memoryUsage().heapUsed - before;
  return Math.round((used / 2 ** 20) * 10) / 10;
}

console.log(
  JSON.stringify({
    entries: DEFAULT_REPLAY_CACHE_SIZE,
    sixteenOwnersMiB: heapMiB(16),
    everyProofItsOwnerMiB: heapMiB(DEFAULT_REPLAY_CACHE_SIZE),
  }),
);
